package sandbox

// Client side of waiting for a sandbox's end: ask its supervisor on
// ctl.sock (AwaitStop) before stopping it, and take its Stopped as the end.
// A supervisor that cannot answer (gone, killed, or from a build without
// AwaitStop) leaves the caller to its fallback: wait for the supervisor's
// exit.

import (
	"path/filepath"
	"time"

	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/state"
)

// stopWatch is an AwaitStop sent to a sandbox's supervisor.
type stopWatch struct {
	c *proto.Conn // nil when the supervisor could not be asked
}

// watchStop asks the supervisor of the sandbox in dir to say when the
// sandbox has ended.
func watchStop(dir string) *stopWatch {
	c, err := proto.Dial(filepath.Join(dir, state.ControlSocket))
	if err != nil {
		return &stopWatch{}
	}
	if err := c.Send(proto.AwaitStop{}); err != nil {
		c.Close()
		return &stopWatch{}
	}
	return &stopWatch{c: c}
}

// wait reports whether Stopped came within d: the sandbox's processes are
// gone and its runtime dir has left its name.
func (w *stopWatch) wait(d time.Duration) bool {
	if w.c == nil {
		return false
	}
	w.c.Unix().SetReadDeadline(time.Now().Add(d))
	_, err := proto.RecvAs[proto.Stopped](w.c)
	return err == nil
}

func (w *stopWatch) close() {
	if w.c != nil {
		w.c.Close()
	}
}
