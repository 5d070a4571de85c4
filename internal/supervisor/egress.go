package supervisor

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/devbox-dev/devbox/internal/egress"
	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/state"
)

// startProxy serves a strict sandbox's egress proxy on the listener the
// child passed with Ready.
func (s *supervisor) startProxy() error {
	if s.proxyLn == nil {
		return nil
	}
	e := proto.Egress{}
	if s.spec.Egress != nil {
		e = *s.spec.Egress
	}
	path, err := state.DenialsPath(s.spec.Name, s.spec.Ephemeral, s.dir())
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create denial log dir: %w", err)
	}
	p, err := newProxy(e, path, s.cmd.Process.Pid)
	if err != nil {
		return err
	}
	s.proxy = p
	go p.serve(s.proxyLn)
	return s.startNotifier()
}

// handleNet answers devbox net allow|deny|ls.
func (s *supervisor) handleNet(c *proto.Conn, msg proto.Message) {
	if s.proxy == nil {
		c.Send(proto.Error{Msg: fmt.Sprintf("sandbox %s is not strict: it has no egress lists (its network is %s); start it with --security strict", s.spec.Name, s.spec.Network), Code: 125})
		return
	}
	lists, _ := s.proxy.snapshot()
	next, err := changeLists(lists, msg)
	if err == nil {
		err = s.proxy.setLists(next)
	}
	if err != nil {
		c.Send(proto.Error{Msg: err.Error(), Code: 125})
		return
	}
	c.Send(proto.NetReply{Egress: next})
}

// changeLists returns the lists after one live change.
func changeLists(e proto.Egress, msg proto.Message) (proto.Egress, error) {
	e = proto.Egress{Allow: slices.Clone(e.Allow), Deny: slices.Clone(e.Deny), AllowLocal: slices.Clone(e.AllowLocal)}
	add := func(list *[]string, pat string) error {
		if _, err := egress.ParseRule(pat); err != nil {
			return err
		}
		if !slices.Contains(*list, pat) {
			*list = append(*list, pat)
		}
		return nil
	}
	var err error
	switch m := msg.(type) {
	case proto.NetAllow:
		if m.Local {
			err = add(&e.AllowLocal, m.Pattern)
		} else {
			err = add(&e.Allow, m.Pattern)
		}
	case proto.NetDeny:
		err = add(&e.Deny, m.Pattern)
	}
	return e, err
}
