package supervisor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/state"
	"github.com/devbox-dev/devbox/internal/timerslack"
	"github.com/devbox-dev/devbox/slirpnet"
	"golang.org/x/sys/unix"
)

// prepareNetwork sets up the port driver and returns the NetReady to send:
// the child starts building its root while attachNetwork runs. The port
// driver's parent side starts here, since the child's side blocks until it
// runs.
func (s *supervisor) prepareNetwork() (proto.NetReady, error) {
	nr := proto.NetReady{Spec: s.spec, Etc: s.etcFiles()}
	if !s.spec.Network.Attaches() {
		return nr, nil
	}
	n, err := slirpnet.Prepare(slirpnet.Options{
		Driver: s.spec.Network, AllowHostLoopback: s.spec.AllowHostLoopback,
		StateDir: s.dir(), Log: os.Stderr,
	})
	if err != nil {
		return nr, err
	}
	s.net = n
	s.portsReady = make(chan struct{}, 1)
	go n.RunPortsFromParent(s.portsReady)
	nr.PortOpaque = n.Opaque
	return nr, nil
}

// attachNetwork starts the helper on the child's network namespace and
// returns the NetAttached to send, with resolv.conf and hosts for the
// lease (the child rewrites the files it has bound already).
func (s *supervisor) attachNetwork() (proto.NetAttached, error) {
	if s.net == nil {
		return proto.NetAttached{}, nil
	}
	var err error
	// The helper carries the sessions' traffic: it gets the user's timer
	// slack, not the supervisor's relaxed one (internal/timerslack).
	timerslack.AsUsers(func() { err = s.net.AttachFromParent(s.cmd.Process.Pid) })
	if err != nil {
		s.net.Close() // a helper that started and then failed
		return proto.NetAttached{}, err
	}
	return proto.NetAttached{Lease: s.net.Lease, Etc: s.netEtc(s.net.Lease)}, nil
}

// netEtc points resolv.conf at the driver's forwarder and adds
// host.devbox.internal when host loopback is allowed.
func (s *supervisor) netEtc(l slirpnet.Lease) *proto.EtcFiles {
	host, _ := os.ReadFile("/etc/resolv.conf")
	upstream, _ := os.ReadFile("/run/systemd/resolve/resolv.conf")
	return &proto.EtcFiles{
		Hostname:   s.spec.Hostname + "\n",
		Hosts:      hostsFile(s.spec.Hostname) + slirpnet.HostsEntries(l, s.spec.AllowHostLoopback),
		ResolvConf: string(slirpnet.ResolvConf(host, upstream, l)),
	}
}

// publishPorts adds the ports asked for at creation, once the port driver
// has finished its handshake with the child.
func (s *supervisor) publishPorts() error {
	if s.net == nil {
		if len(s.spec.Ports) > 0 {
			return fmt.Errorf("publish ports: --network %s has no port forwarding; use --network %s", s.spec.Network, strings.Join(slirpnet.PortNames(), " or "))
		}
		return nil
	}
	select {
	case <-s.portsReady:
	case <-time.After(10 * time.Second):
		return errors.New("publish ports: the port driver did not become ready within 10s")
	}
	for _, p := range s.spec.Ports {
		if _, err := s.addPort(p); err != nil {
			return err
		}
	}
	return nil
}

func (s *supervisor) addPort(text string) (int, error) {
	spec, err := slirpnet.ParsePortSpec(text)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.net.AddPort(ctx, spec)
}

// serveControl answers port changes from `devbox port` on ctl.sock.
func (s *supervisor) serveControl() error {
	path := filepath.Join(s.dir(), state.ControlSocket)
	ln, err := net.ListenUnix("unixpacket", &net.UnixAddr{Name: path, Net: "unixpacket"})
	if err != nil {
		return fmt.Errorf("listen on control socket: %w", err)
	}
	os.Chmod(path, 0o600)
	go func() {
		for {
			uc, err := ln.AcceptUnix()
			if err != nil {
				return
			}
			go s.handleControl(proto.NewConn(uc))
		}
	}()
	return nil
}

func (s *supervisor) handleControl(c *proto.Conn) {
	defer c.Close()
	if !sameUser(c) {
		c.Send(proto.Error{Msg: "permission denied: this sandbox belongs to another user", Code: 125})
		return
	}
	msg, files, err := c.Recv()
	closeFiles(files)
	if err != nil {
		return
	}
	switch m := msg.(type) {
	case proto.NetAllow, proto.NetDeny, proto.NetList:
		s.handleNet(c, msg)
		return
	case proto.SealedInit:
		s.lendSealed(c, m)
		return
	case proto.AwaitStop:
		s.awaitStop(c)
		return
	}
	if s.net == nil {
		c.Send(proto.Error{Msg: fmt.Sprintf("sandbox %s uses --network %s, which has no published ports", s.spec.Name, s.spec.Network), Code: 125})
		return
	}
	if err := s.applyControl(msg); err != nil {
		c.Send(proto.Error{Msg: err.Error(), Code: 125})
		return
	}
	c.Send(s.portReply())
}

func (s *supervisor) applyControl(msg proto.Message) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	switch m := msg.(type) {
	case proto.PortAdd:
		_, err := s.addPort(m.Spec)
		return err
	case proto.PortRemove:
		if err := s.net.RemovePort(ctx, m.ID); err != nil {
			return fmt.Errorf("remove port %d: %w", m.ID, err)
		}
	case proto.PortList:
	default:
		return fmt.Errorf("unexpected request %q", msg.Kind())
	}
	return nil
}

func (s *supervisor) portReply() proto.PortReply {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	list, _ := s.net.ListPorts(ctx)
	r := proto.PortReply{Ports: []proto.PortEntry{}}
	for _, p := range list {
		r.Ports = append(r.Ports, proto.PortEntry{ID: p.ID, Spec: p.Spec.String()})
	}
	return r
}

// sameUser checks the peer is this supervisor's own user.
func sameUser(c *proto.Conn) bool {
	raw, err := c.Unix().SyscallConn()
	if err != nil {
		return false
	}
	ok := false
	raw.Control(func(fd uintptr) {
		cred, err := unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
		ok = err == nil && int(cred.Uid) == os.Getuid()
	})
	return ok
}

// closeFiles closes descriptors a request carried; control requests take none.
func closeFiles(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}

// maxHelperRestarts is how often a dead helper is started again before the
// network is left down: a helper that keeps dying (out of memory, a broken
// install) should be seen, not hidden by a loop.
const maxHelperRestarts = 3

// watchNetwork starts the watcher of the user-mode network's helper.
func (s *supervisor) watchNetwork() error {
	if s.net != nil {
		go s.superviseHelper()
	}
	return nil
}

// superviseHelper logs a helper's death and restarts it, up to
// maxHelperRestarts times; then it marks the network down in state.json,
// which 'devbox ps' and joining commands report. Its OS thread stays locked:
// a restarted slirp4netns gets its parent-death signal from this thread.
func (s *supervisor) superviseHelper() {
	runtime.LockOSThread()
	driver := s.net.Driver()
	for restarts := 0; ; restarts++ {
		pid, ok := s.net.WaitHelperExit()
		if !ok || s.childGone() {
			return // the sandbox is stopping
		}
		fmt.Fprintf(os.Stderr, "devbox-supervisor: network helper %s (pid %d) exited; the sandbox has no network\n", driver, pid)
		if restarts == maxHelperRestarts {
			s.networkDown(fmt.Sprintf("%s (pid %d) exited, and it already was restarted %d times", driver, pid, restarts))
			return
		}
		if err := s.net.Restart(); err != nil {
			fmt.Fprintf(os.Stderr, "devbox-supervisor: %v\n", err)
			s.networkDown(fmt.Sprintf("%s (pid %d) exited and could not be restarted: %v", driver, pid, err))
			return
		}
		pids := s.net.HelperPIDs()
		fmt.Fprintf(os.Stderr, "devbox-supervisor: restarted %s (pid %v); the network is back\n", driver, pids)
		s.updateState(func(st *state.State) { st.Helpers, st.NetworkRestarts = pids, restarts+1 })
	}
}

func (s *supervisor) networkDown(why string) {
	fmt.Fprintf(os.Stderr, "devbox-supervisor: network down: %s\n", why)
	s.updateState(func(st *state.State) { st.NetworkDown, st.Helpers = why, nil })
}

// childGone reports whether init has exited (a zombie or reaped): then a
// helper's end is part of the sandbox's.
func (s *supervisor) childGone() bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.st.Init))
	if err != nil {
		return true
	}
	st, _, err := state.ParseStat(b)
	return err != nil || st == 'Z' || st == 'X'
}
