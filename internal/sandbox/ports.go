package sandbox

import (
	"fmt"
	"path/filepath"

	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/state"
)

// Ports sends one port request to a running sandbox's supervisor.
func Ports(name string, req proto.Message) ([]proto.PortEntry, error) {
	root, err := state.RuntimeRoot()
	if err != nil {
		return nil, err
	}
	c, err := proto.Dial(filepath.Join(root, name, state.ControlSocket))
	if err != nil {
		return nil, fmt.Errorf("sandbox %s: %w (see 'devbox ps')", name, ErrNotRunning)
	}
	defer c.Close()
	if err := c.Send(req); err != nil {
		return nil, err
	}
	r, err := proto.RecvAs[proto.PortReply](c)
	if err != nil {
		return nil, err
	}
	return r.Ports, nil
}

// Net sends one egress request (devbox net) to a running strict
// sandbox's supervisor and returns the lists in effect.
func Net(name string, req proto.Message) (proto.Egress, error) {
	root, err := state.RuntimeRoot()
	if err != nil {
		return proto.Egress{}, err
	}
	c, err := proto.Dial(filepath.Join(root, name, state.ControlSocket))
	if err != nil {
		return proto.Egress{}, fmt.Errorf("sandbox %s: %w (see 'devbox ps')", name, ErrNotRunning)
	}
	defer c.Close()
	if err := c.Send(req); err != nil {
		return proto.Egress{}, err
	}
	r, err := proto.RecvAs[proto.NetReply](c)
	if err != nil {
		return proto.Egress{}, err
	}
	return r.Egress, nil
}
