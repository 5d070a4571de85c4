package slirpnet

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/devbox-dev/devbox/hint"
	"github.com/rootless-containers/rootlesskit/v2/pkg/port"
	"github.com/rootless-containers/rootlesskit/v2/pkg/port/builtin"
	"golang.org/x/sys/unix"
)

// Driver is one --network mode, as the rest of devbox sees it: how it is
// named, whether the sandbox gets a network namespace of its own, and
// whether ports can be published into it. Drivers lists them all; a new
// mode is one more mode value there, plus a case in Network.attach
// (and Restart) when the host connects something to its namespace.
//
// The zero Driver is "not chosen yet": the client picks Default before a
// sandbox starts. It is named "" and behaves as none (a namespace of its
// own, nothing attached).
type Driver struct{ m *mode }

// mode is what a Driver answers with.
type mode struct {
	name  string
	about string // one line for --help and completion
	// netns: the sandbox gets a network namespace of its own (loopback up,
	// its own sysfs); false shares the host's.
	netns bool
	// helper is the host program that connects the namespace, and pkg the
	// package that installs it; "" when there is none. procNames are the
	// names it runs under (/proc/PID/comm), for ending it.
	helper, pkg string
	procNames   []string
	// attaches: the host connects the child's namespace
	// (Network.AttachFromParent says how), setting the lease and helper
	// pids.
	attaches bool
	// ports: host ports can be published into the namespace, through the
	// port driver Prepare starts beside what attaches.
	ports bool
}

// The drivers, in --network's order; Default prefers the first helper
// that is installed.
var (
	Slirp4netns = Driver{&mode{name: "slirp4netns", about: "user-mode network (default)", netns: true,
		helper: "slirp4netns", pkg: "slirp4netns", procNames: []string{"slirp4netns"}, attaches: true, ports: true}}
	Pasta = Driver{&mode{name: pastaName, about: "user-mode network (passt)", netns: true,
		helper: pastaName, pkg: "passt", procNames: []string{pastaName, "passt"}, attaches: true, ports: true}}
	Host = Driver{&mode{name: "host", about: "the host's network"}}
	None = Driver{&mode{name: "none", about: "loopback only", netns: true}}
)

// Drivers lists every driver: the only list of --network names.
func Drivers() []Driver { return []Driver{Slirp4netns, Pasta, Host, None} }

// Names lists the valid --network values.
func Names() []string {
	var out []string
	for _, d := range Drivers() {
		out = append(out, d.Name())
	}
	return out
}

// PortNames lists the drivers that publish ports, for messages.
func PortNames() []string {
	var out []string
	for _, d := range Drivers() {
		if d.Ports() {
			out = append(out, d.Name())
		}
	}
	return out
}

// ParseDriver returns the driver named name; "" is the zero Driver.
func ParseDriver(name string) (Driver, error) {
	if name == "" {
		return Driver{}, nil
	}
	for _, d := range Drivers() {
		if d.Name() == name {
			return d, nil
		}
	}
	return Driver{}, fmt.Errorf("unknown network %q: want one of %s", name, strings.Join(Names(), ", "))
}

// Name is the driver's --network value; "" for the zero Driver.
func (d Driver) Name() string {
	if d.m == nil {
		return ""
	}
	return d.m.name
}

// String is Name.
func (d Driver) String() string { return d.Name() }

// About is a one-line description for help and completion.
func (d Driver) About() string {
	if d.m == nil {
		return ""
	}
	return d.m.about
}

// IsZero reports whether no driver is chosen yet.
func (d Driver) IsZero() bool { return d.m == nil }

// NetNS reports whether the sandbox gets a network namespace of its own.
func (d Driver) NetNS() bool { return d.m == nil || d.m.netns }

// Attaches reports whether the host attaches something (a helper) to the
// sandbox's namespace: StartFromParent has work to do.
func (d Driver) Attaches() bool { return d.m != nil && d.m.attaches }

// Ports reports whether ports can be published into the sandbox.
func (d Driver) Ports() bool { return d.Attaches() && d.m.ports }

// Helper is the host program the driver runs, "" for none.
func (d Driver) Helper() string {
	if d.m == nil {
		return ""
	}
	return d.m.helper
}

// MarshalText encodes the driver as its name (the Spec and config.json
// carry names).
func (d Driver) MarshalText() ([]byte, error) { return []byte(d.Name()), nil }

// UnmarshalText decodes a name; an unknown one is an error.
func (d *Driver) UnmarshalText(b []byte) error {
	v, err := ParseDriver(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MTU is the sandbox's MTU: slirp4netns at 1500 ran 6.5x slower here.
const MTU = 65520

// Default picks the first driver whose helper is installed (slirp4netns,
// else pasta), else an error that names the packages and --network none.
func Default() (Driver, error) {
	var helpers, pkgs []string
	for _, d := range Drivers() {
		if d.Helper() == "" {
			continue
		}
		if _, err := lookHelper(d); err == nil {
			return d, nil
		}
		helpers, pkgs = append(helpers, d.Helper()), append(pkgs, d.m.pkg)
	}
	others := ""
	for i := 1; i < len(helpers); i++ {
		others += fmt.Sprintf(" (or %s for %s)", pkgs[i], helpers[i])
	}
	return Driver{}, hint.Wrap(fmt.Errorf("no user-mode network helper found (%s)", strings.Join(helpers, " or ")),
		fmt.Sprintf("install one: 'sudo apt-get install %s'%s; or run with --network %s (loopback only)", pkgs[0], others, None))
}

// TunDevice is the node both helpers open to make the sandbox's interface.
const TunDevice = "/dev/net/tun"

// DefaultUsable is Default, and also fails when the helper could not work:
// /dev/net/tun is missing or does not open for this user (a container
// started with default options has none). The client falls back to
// --network none on its error, unless the config requires a network.
func DefaultUsable() (Driver, error) {
	d, err := Default()
	if err != nil {
		return Driver{}, err
	}
	f, err := os.OpenFile(TunDevice, os.O_RDWR, 0)
	if err != nil {
		return Driver{}, hint.Wrap(fmt.Errorf("%s found, but it cannot open %s: %w", d.Helper(), TunDevice, err),
			"give the container the device (podman run --device /dev/net/tun, or a device plugin in Kubernetes; see docs/kubernetes.md), or run with --network none (loopback only)")
	}
	f.Close()
	return d, nil
}

func lookHelper(d Driver) (string, error) {
	p, err := exec.LookPath(d.Helper())
	if err != nil {
		pkg := d.m.pkg
		return "", hint.Wrap(fmt.Errorf("%s not found in PATH", d.Helper()),
			fmt.Sprintf("install package '%s' (sudo apt-get install %s), or choose another --network", pkg, pkg))
	}
	return p, nil
}

// isHelperName reports whether a process named comm (/proc/PID/comm) is a
// driver's helper; pasta runs as passt.avx2 on x86-64.
func isHelperName(comm string) bool {
	for _, d := range Drivers() {
		if d.m == nil {
			continue
		}
		if slices.ContainsFunc(d.m.procNames, func(h string) bool { return comm == h || strings.HasPrefix(comm, h+".") }) {
			return true
		}
	}
	return false
}

// Options configure a sandbox's network.
type Options struct {
	Driver            Driver
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
	if !opts.Driver.Attaches() {
		return nil, fmt.Errorf("start network: --network %s attaches nothing", opts.Driver)
	}
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
	if err := n.attach(n.opts, childPID); err != nil {
		return err
	}
	return n.track(n.opts, childPID)
}

// attach runs the driver's host side. It is the one place that maps a
// driver to its attach code: the modes themselves hold no functions, so
// the child's binary, which decodes Drivers but never attaches, does not
// link the host side.
func (n *Network) attach(opts Options, childPID int) error {
	switch opts.Driver {
	case Slirp4netns:
		return n.attachSlirp4netns(opts, childPID)
	case Pasta:
		return n.attachPasta(opts, childPID)
	}
	return fmt.Errorf("start network: --network %s attaches nothing", opts.Driver)
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

// Shut unpublishes every port and sends SIGKILL to every helper process
// without waiting for their exit: a killed process never runs again, but
// its exit (its own namespaces torn down) can take milliseconds. Close,
// after it, waits for them.
func (n *Network) Shut() {
	n.removePorts()
	for _, pid := range n.HelperPIDs() {
		if isHelper(pid) {
			unix.Kill(pid, unix.SIGKILL)
		}
	}
}

// removePorts unpublishes every port and marks the network closed, so its
// helpers' ends are no failure to restart from.
func (n *Network) removePorts() {
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
}

// Close ends the port driver and every helper process, and waits for them.
func (n *Network) Close() error {
	n.removePorts()
	var err error
	if cleanup := n.helperCleanup(); cleanup != nil {
		err = cleanup()
	}
	KillHelpers(n.HelperPIDs())
	return err
}
