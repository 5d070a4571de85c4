package slirpnet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strings"
	"time"

	"github.com/devbox-dev/devbox/hint"
	"github.com/rootless-containers/rootlesskit/v2/pkg/port"
	"github.com/rootless-containers/rootlesskit/v2/pkg/port/builtin"
	"golang.org/x/sys/unix"
)

// Driver names accepted by --network.
const (
	Slirp4netns = "slirp4netns"
	Pasta       = "pasta"
	Host        = "host"
	None        = "none"
)

// MTU is the sandbox's MTU: slirp4netns at 1500 ran 6.5x slower here.
const MTU = 65520

// Names lists the valid --network values.
var Names = []string{Slirp4netns, Pasta, Host, None}

// Default picks slirp4netns when installed, else pasta, else an error that
// names both packages and --network none.
func Default() (string, error) {
	if _, err := lookHelper(Slirp4netns); err == nil {
		return Slirp4netns, nil
	}
	if _, err := lookHelper(Pasta); err == nil {
		return Pasta, nil
	}
	return "", hint.Wrap(errors.New("no user-mode network helper found (slirp4netns or pasta)"),
		"install one: 'sudo apt-get install slirp4netns' (or passt for pasta); or run with --network none (loopback only)")
}

// Uses reports whether a driver needs a helper and a network namespace.
func Uses(name string) bool { return name == Slirp4netns || name == Pasta }

func lookHelper(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err != nil {
		pkg := map[string]string{Slirp4netns: "slirp4netns", Pasta: "passt"}[name]
		return "", hint.Wrap(fmt.Errorf("%s not found in PATH", name),
			fmt.Sprintf("install package '%s' (sudo apt-get install %s), or choose another --network", pkg, pkg))
	}
	return p, nil
}

// Options configure a sandbox's network.
type Options struct {
	Driver            string
	AllowHostLoopback bool
	StateDir          string
	Log               io.Writer
}

// Network is a running network attachment, host side.
type Network struct {
	Lease   Lease
	Opaque  map[string]string // for ServePortsInChild
	opts    Options
	ports   port.ParentDriver
	quit    chan struct{}
	cleanup func() error
	// Helpers are the pids of the helper processes, for stale cleanup;
	// read them with HelperPIDs once the network runs (Restart changes them).
	Helpers []int
	hs      *helperSet
}

// Prepare sets up the port driver's parent side (its socket paths in the
// state dir, for the child's ServePortsInChild) and finds the helper. The
// helper starts with AttachFromParent; RunPortsFromParent must run before
// the child serves ports.
func Prepare(opts Options) (*Network, error) {
	n := &Network{quit: make(chan struct{}), opts: opts}
	var err error
	if n.ports, err = builtin.NewParentDriver(opts.Log, opts.StateDir); err != nil {
		return nil, fmt.Errorf("start port driver: %w", err)
	}
	n.Opaque = n.ports.OpaqueForChild()
	return n, nil
}

// AttachFromParent starts the helper on childPID's network namespace, sets
// the Lease for the child's ConfigureInChild, and starts tracking the
// helper for WaitHelperExit and Restart. On error the caller still calls
// Close.
func (n *Network) AttachFromParent(childPID int) error {
	attach := n.attachSlirp4netns
	if n.opts.Driver == Pasta {
		attach = n.attachPasta
	}
	if err := attach(n.opts, childPID); err != nil {
		return err
	}
	return n.track(n.opts, childPID)
}

func (n *Network) attachSlirp4netns(opts Options, childPID int) error {
	path, err := lookHelper(Slirp4netns)
	if err != nil {
		return err
	}
	f, err := Probe(Slirp4netns, path)
	if err != nil {
		return err
	}
	pid, cleanup, err := startSlirp4netns(path, slirpArgs(opts, f, seccompWorks(), childPID), opts.Log)
	n.cleanup = cleanup
	if err != nil {
		return attachError(opts.Driver, err)
	}
	n.Lease = slirpLease
	n.Helpers = []int{pid}
	return nil
}

func (n *Network) attachPasta(opts Options, childPID int) error {
	path, err := lookHelper(Pasta)
	if err != nil {
		return err
	}
	if _, err := Probe(Pasta, path); err != nil {
		return err
	}
	lease, pid, err := startPasta(opts, path, childPID)
	if err != nil {
		return err
	}
	n.Lease, n.Helpers = lease, []int{pid}
	watchHelpers(n.Helpers)
	return nil
}

// attachError explains the usual reasons a helper cannot attach.
func attachError(driver string, err error) error {
	msg := err.Error()
	if strings.Contains(msg, "/dev/net/tun") || strings.Contains(msg, "tuntap") || strings.Contains(msg, "Permission denied") {
		return hint.Wrap(fmt.Errorf("start %s: %w", driver, err),
			"the helper cannot open /dev/net/tun; check 'ls -l /dev/net/tun' (it should be crw-rw-rw-), e.g. 'sudo chmod 0666 /dev/net/tun', or use --network none")
	}
	return fmt.Errorf("start %s: %w", driver, err)
}

// RunPortsFromParent completes the port driver's handshake with the child.
// It blocks until Close; ready receives one value once ports can be added.
func (n *Network) RunPortsFromParent(ready chan struct{}) error {
	return n.ports.RunParentDriver(ready, n.quit, nil)
}

// AddPort publishes a host port; a busy port names its holder when known.
func (n *Network) AddPort(ctx context.Context, p PortSpec) (int, error) {
	st, err := n.ports.AddPort(ctx, port.Spec{Proto: p.Proto, ParentIP: p.HostIP.String(), ParentPort: p.HostPort, ChildPort: p.Port})
	if err != nil {
		return 0, busyError(p, err)
	}
	return st.ID, nil
}

// RemovePort stops publishing a port.
func (n *Network) RemovePort(ctx context.Context, id int) error {
	return n.ports.RemovePort(ctx, id)
}

// Port is a published port with its id.
type Port struct {
	ID   int      `json:"id"`
	Spec PortSpec `json:"spec"`
}

// ListPorts returns the published ports.
func (n *Network) ListPorts(ctx context.Context) ([]Port, error) {
	list, err := n.ports.ListPorts(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Port, 0, len(list))
	for _, s := range list {
		out = append(out, Port{ID: s.ID, Spec: specFromRootlesskit(s.Spec)})
	}
	return out, nil
}

func specFromRootlesskit(s port.Spec) PortSpec {
	p := PortSpec{HostPort: s.ParentPort, Port: s.ChildPort, Proto: s.Proto}
	p.HostIP = DefaultHostIP
	if ip := net.ParseIP(s.ParentIP); ip != nil {
		p.HostIP = netipFrom(ip)
	}
	return p
}

// Close ends the port driver and every helper process.
func (n *Network) Close() error {
	if n.ports != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		if list, err := n.ports.ListPorts(ctx); err == nil {
			for _, p := range list {
				n.ports.RemovePort(ctx, p.ID)
			}
		}
		cancel()
	}
	select {
	case <-n.quit:
	default:
		close(n.quit)
	}
	n.hs.closeWatch() // before the helpers die: their end is no failure
	var err error
	if cleanup := n.helperCleanup(); cleanup != nil {
		err = cleanup()
	}
	KillHelpers(n.HelperPIDs())
	return err
}

// seccompWorks reports whether the kernel has seccomp filters, which
// slirp4netns --enable-seccomp needs. PR_SET_SECCOMP with a nil filter fails
// with EFAULT when filters exist and EINVAL when they do not.
func seccompWorks() bool {
	if unix.Prctl(unix.PR_GET_SECCOMP, 0, 0, 0, 0) == unix.EINVAL {
		return false
	}
	return unix.Prctl(unix.PR_SET_SECCOMP, unix.SECCOMP_MODE_FILTER, 0, 0, 0) != unix.EINVAL
}
