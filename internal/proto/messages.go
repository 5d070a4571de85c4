package proto

import (
	"encoding/json"
	"sync"
	"time"

	"github.com/devbox-dev/devbox/cgroupv2"
	"github.com/devbox-dev/devbox/internal/state"
	"github.com/devbox-dev/devbox/internal/trace"
	"github.com/devbox-dev/devbox/internal/wire"
	"github.com/devbox-dev/devbox/slirpnet"
)

// Spec is the launch spec: the one contract from the client to the
// supervisor and on to the child (see the package doc). The client fills it
// from the validated config and passes it to the supervisor on a pipe
// (supervisor.FDSpec); the supervisor completes the fields it owns (SingleID,
// the image's writable layer) and sends it to the child in NetReady.
type Spec struct {
	Name     string `json:"name"`
	Hostname string `json:"hostname"`
	// ProjectDir is bound read-write at the same absolute path.
	ProjectDir string `json:"project_dir"`
	// Home is the home path inside; HomeSource the host directory bound
	// there, or with HomeTmpfs (a --rm sandbox's private home) none: the
	// child mounts a tmpfs there, which ends with the sandbox and leaves
	// nothing on the host.
	Home       string `json:"home"`
	HomeSource string `json:"home_source"`
	HomeTmpfs  bool   `json:"home_tmpfs,omitempty"`
	// StateDir is the sandbox's runtime directory on the host: etc files live
	// there and the new root is mounted on StateDir/root.
	StateDir string `json:"state_dir"`
	// Network is the driver, resolved (never the zero Driver), carried as
	// its name.
	// Ports are published when the sandbox starts; AllowHostLoopback lets it
	// reach the host's 127.0.0.1 as host.devbox.internal.
	Network           slirpnet.Driver `json:"network"`
	Ports             []string        `json:"ports,omitempty"`
	AllowHostLoopback bool            `json:"allow_host_loopback,omitempty"`
	// SingleID is true when only one id is mapped (no subordinate range);
	// the supervisor sets it.
	SingleID bool `json:"single_id"`
	// Cgroup is true when the sandbox has a delegated group of its own,
	// which the child mounts at /sys/fs/cgroup; the supervisor sets it.
	Cgroup bool `json:"cgroup,omitempty"`
	// IdleTimeout stops the sandbox after this long without sessions; 0 stops
	// it with the last session.
	IdleTimeout time.Duration `json:"idle_timeout"`
	// Mounts are extra binds, resolved to absolute host paths.
	Mounts []Mount `json:"mounts,omitempty"`
	// HomeReadOnly binds the home read-only (home = "ro").
	HomeReadOnly bool `json:"home_read_only,omitempty"`
	// Image, when set, makes the root a writable layer on a stored image
	// instead of the host view.
	Image *ImageRoot `json:"image,omitempty"`
	// Security is the profile: SecurityDefault (also when empty),
	// SecurityUnconfined, which turns off the seccomp filter and the
	// capability cut (internal/child/confine.go), or SecurityStrict, which
	// confines every session further (internal/child/session.go).
	Security string `json:"security,omitempty"`
	// Egress is the strict profile's allowlist, which the supervisor's
	// proxy enforces; nil for the other profiles.
	Egress *Egress `json:"egress,omitempty"`
	// Hidden are devbox's own host dirs (runtime and data, as given and
	// resolved): where one shows inside (a project, home or mount holding
	// it), the child covers it with an empty read-only tmpfs.
	Hidden []string `json:"hidden,omitempty"`
	// RequireProc makes a /proc the kernel refuses to mount (a masked /proc
	// in a container) an error, instead of the fallback to the outer one.
	RequireProc bool `json:"require_proc,omitempty"`
	// Review, when set, shows the project through an overlay instead of
	// the read-write bind: ProjectDir is its read-only lower layer and
	// every write lands in Review.Upper (internal/review). The client
	// asks for it with an empty ReviewLayer; the supervisor fills it.
	Review *ReviewLayer `json:"review,omitempty"`
	// RequireStrict makes a kernel whose Landlock ABI cannot enforce all
	// of the strict profile an error, instead of a notice saying what is
	// not enforced.
	RequireStrict bool `json:"require_strict,omitempty"`
	// Protect are the project-relative paths a strict sandbox may not
	// write or create (internal/protect's list, resolved from the config
	// and core.hooksPath); DenyRead the absolute paths hidden inside.
	Protect  []string `json:"protect,omitempty"`
	DenyRead []string `json:"deny_read,omitempty"`

	// LaunchSession is set when the client's first session came with the
	// launch (run --rm): an already connected sandbox-socket connection,
	// passed from the client to the supervisor (fd 4) and on to the child
	// (fd 6), on which the client wrote its Spawn before the supervisor
	// started. Init serves it as the first session once it serves the
	// socket, and the sandbox ends with that session: init stops it (with
	// the grace a --rm client's own stop gave) when the session exits, and
	// the supervisor writes Stopped on the ready pipe, which it keeps open,
	// once the sandbox has ended, for the client to return on.
	LaunchSession bool `json:"launch_session,omitempty"`

	// The host side's part: the child does not use these.

	// UID, GID and User are the invoking user, whose ids the supervisor maps.
	UID  uint32 `json:"uid"`
	GID  uint32 `json:"gid"`
	User string `json:"user"`
	// Ephemeral (--rm) sandboxes keep their home in a tmpfs (HomeTmpfs)
	// and leave no persistent data.
	Ephemeral bool `json:"ephemeral,omitempty"`
	// Limits go to the sandbox's cgroup; RequireLimits fails the start when
	// they cannot be enforced.
	Limits        cgroupv2.Limits `json:"limits"`
	RequireLimits bool            `json:"require_limits,omitempty"`
	// ScopeError is why the client could not start the supervisor in a
	// systemd user scope, for the not-delegated warning.
	ScopeError string `json:"scope_error,omitempty"`
}

// Security profiles.
const (
	SecurityDefault    = "default"
	SecurityUnconfined = "unconfined"
	SecurityStrict     = "strict"
)

// Egress is the strict profile's network policy: host patterns (package
// egress).
type Egress struct {
	Allow      []string `json:"allow"`
	Deny       []string `json:"deny"`
	AllowLocal []string `json:"allow_local"`
}

// ProxyPort is the port of devbox's proxy on 127.0.0.1 inside a strict
// sandbox: the child listens there and passes the listener to the
// supervisor with Ready.
const ProxyPort = 3128

// ImageRoot is an image-backed root: the layer dirs in the store, read-only
// ones top first, and the sandbox's writable layer.
type ImageRoot struct {
	Ref     string   `json:"ref"`
	ImageID string   `json:"image_id"`
	Driver  string   `json:"driver"` // overlay, fuse-overlayfs or vfs
	Lower   []string `json:"lower,omitempty"`
	Upper   string   `json:"upper"`
	Work    string   `json:"work,omitempty"`
	// Config is the image config's part that sessions use; the supervisor
	// records it in state.json, where joins read it (no store lookup).
	Config state.ImageConfig `json:"config"`
}

// ReviewLayer is the review overlay's writable side on the host, in the
// sandbox's data dir (hidden from the sandbox itself), and how to mount
// it: Driver is "overlay" (native, in the sandbox's user namespace) or
// "fuse-overlayfs".
type ReviewLayer struct {
	Driver string `json:"driver"`
	Upper  string `json:"upper"`
	Work   string `json:"work"`
}

// Mount is an extra bind mount into the sandbox.
type Mount struct {
	Source   string `json:"source"`
	Target   string `json:"target"`
	ReadOnly bool   `json:"read_only"`
}

// ProtocolVersion changes whenever a message changes incompatibly.
const ProtocolVersion = 9

// EtcFiles are the sandbox's /etc/hostname, /etc/hosts and
// /etc/resolv.conf. The supervisor makes them (it reads the host's
// resolver config) and the child writes them on a tmpfs of its own and
// binds them over the root's: no file on the host's disk.
type EtcFiles struct {
	Hostname   string `json:"hostname"`
	Hosts      string `json:"hosts"`
	ResolvConf string `json:"resolv_conf"`
}

// Supervisor <-> child messages, in protocol order.
type (
	Hello struct {
		// Version is the child's ProtocolVersion: devbox-init may come
		// from another build than the devbox that starts it.
		Version int `json:"version"`
	}
	IDMapped    struct{}
	UserNSReady struct{}
	// NetReady starts the child's setup: it comes before the network
	// helper has attached, which happens while the child builds the root.
	NetReady struct {
		Spec Spec `json:"spec"`
		// PortOpaque configures the child side of the port driver.
		PortOpaque map[string]string `json:"port_opaque,omitempty"`
		// Etc is the sandbox's /etc files as they are before the
		// network helper attaches.
		Etc EtcFiles `json:"etc"`
	}
	// NetAttached carries the helper's lease once it has attached (empty
	// for --network none and host); the child configures its interface.
	// Etc, when set, replaces the /etc files for the lease (its resolver
	// and host entries).
	NetAttached struct {
		Lease slirpnet.Lease `json:"lease"`
		Etc   *EtcFiles      `json:"etc,omitempty"`
	}
	// Ready ends the child's setup (to the supervisor) and the supervisor's
	// start (to the client, on the ready pipe). Trace carries the sender's
	// phase timings, and those it received, when tracing is on. Notices
	// (child to supervisor) are one line per fallback the child took (the
	// outer /proc, a hostname it could not set), which the supervisor
	// passes on to the client as Warnings.
	Ready struct {
		Trace   []trace.Span `json:"trace,omitempty"`
		Notices []string     `json:"notices,omitempty"`
	}
	Go struct{}
)

// The fuse socket (child <-> supervisor, while the child builds its root):
// the child mounts a FUSE file system on a /dev/fuse descriptor and sends
// FuseMount with that descriptor; the supervisor starts fuse-overlayfs on
// it outside the sandbox's namespaces and answers FuseServed, or Error.
type (
	FuseMount struct {
		// Layer is which of the Spec's overlays the mount serves:
		// FuseImage (Spec.Image) or FuseReview (Spec.Review over
		// Spec.ProjectDir). The supervisor takes the dirs from its own
		// Spec, never from the child.
		Layer string `json:"layer"`
	}
	FuseServed struct{}
)

// FuseMount layers.
const (
	FuseImage  = "image"
	FuseReview = "review"
)

// Error ends a conversation. Code is the exit status the client should use
// (125 for devbox's own failures, 126/127 for a command that cannot run).
type Error struct {
	Msg  string `json:"msg"`
	Hint string `json:"hint,omitempty"`
	Code int    `json:"code,omitempty"`
}

// Warning is a message for the user, sent by the supervisor while it starts
// a sandbox (for example the single-id fallback).
type Warning struct {
	Msg string `json:"msg"`
}

// The session messages a joining client exchanges with init are package
// wire's, which the client (cmd/devbox) links without this package.
type (
	Spawn  = wire.Spawn
	KeepID = wire.KeepID
	Signal = wire.Signal
	Exit   = wire.Exit
)

// RelayEOF is the VEOF character of a relay pty: the client writes it to
// end a partial line at once, or alone to deliver end-of-file.
const RelayEOF = 4 // ^D

// Started confirms a session; the pty master fd travels with it for TTY.
type Started struct {
	PID int `json:"pid"`
	// Trace is init's phase timings, sent with the first session when
	// tracing is on.
	Trace []trace.Span `json:"trace,omitempty"`
}

// Info asks init for its state.
type Info struct{}

// InfoReply answers Info.
type InfoReply struct {
	Name      string    `json:"name"`
	Project   string    `json:"project"`
	Sessions  int       `json:"sessions"`
	StartedAt time.Time `json:"started_at"`
}

// Stop asks init to end the sandbox: SIGTERM to sessions, SIGKILL after Grace.
type Stop struct {
	Grace time.Duration `json:"grace"`
}

// Stopping acknowledges Stop.
type Stopping struct{}

// AwaitStop asks a sandbox's supervisor (ctl.sock) to answer Stopped once
// the sandbox has ended: its init and every process in it have exited, its
// published ports are gone and its network helpers killed (SIGKILL sent,
// so they never run again; the supervisor reaps them after answering), its
// cgroup, throwaway layer and protected-path stubs are removed, and its
// runtime dir has left its name (renamed aside, the supervisor deletes it
// next and then exits), so the name can start again.
type AwaitStop struct{}

// Stopped answers AwaitStop.
type Stopped struct{}

// Hold keeps the sandbox from going idle while the connection that sent it
// stays open: a client running several sessions in a row (the setup steps,
// then its command) holds the sandbox across the gaps between them, which
// idle timeout 0 would otherwise end. Closing the connection, or the
// client's death, releases it.
type Hold struct{}

// Held acknowledges Hold.
type Held struct{}

// Port control messages, served by the supervisor on its control socket.
type (
	// PortAdd publishes a port given as -p text: [HOSTIP:]HOSTPORT:PORT[/proto].
	PortAdd struct {
		Spec string `json:"spec"`
	}
	// PortRemove stops publishing the port with this id.
	PortRemove struct {
		ID int `json:"id"`
	}
	// PortList asks for the published ports.
	PortList struct{}
	// PortReply answers the port messages.
	PortReply struct {
		Ports []PortEntry `json:"ports"`
	}
)

// Egress control messages (strict sandboxes), served by the supervisor on
// its control socket: devbox net allow|deny|ls.
type (
	// NetAllow adds a pattern to [egress] allow, or allow_local with Local.
	NetAllow struct {
		Pattern string `json:"pattern"`
		Local   bool   `json:"local,omitempty"`
	}
	// NetDeny adds a pattern to [egress] deny.
	NetDeny struct {
		Pattern string `json:"pattern"`
	}
	// NetList asks for the lists in effect.
	NetList struct{}
	// NetReply answers the egress messages with the lists in effect.
	NetReply struct {
		Egress Egress `json:"egress"`
	}
)

func (NetAllow) Kind() string { return "NetAllow" }
func (NetDeny) Kind() string  { return "NetDeny" }
func (NetList) Kind() string  { return "NetList" }
func (NetReply) Kind() string { return "NetReply" }

// PortEntry is one published port.
type PortEntry struct {
	ID   int    `json:"id"`
	Spec string `json:"spec"`
}

func (PortAdd) Kind() string    { return "PortAdd" }
func (PortRemove) Kind() string { return "PortRemove" }
func (PortList) Kind() string   { return "PortList" }
func (PortReply) Kind() string  { return "PortReply" }

func (Hello) Kind() string       { return "Hello" }
func (IDMapped) Kind() string    { return "IDMapped" }
func (UserNSReady) Kind() string { return "UserNSReady" }
func (NetReady) Kind() string    { return "NetReady" }
func (NetAttached) Kind() string { return "NetAttached" }
func (Ready) Kind() string       { return "Ready" }
func (Go) Kind() string          { return "Go" }
func (FuseMount) Kind() string   { return "FuseMount" }
func (FuseServed) Kind() string  { return "FuseServed" }
func (Error) Kind() string       { return "Error" }
func (Warning) Kind() string     { return "Warning" }
func (Started) Kind() string     { return "Started" }
func (Info) Kind() string        { return "Info" }
func (InfoReply) Kind() string   { return "InfoReply" }
func (Stop) Kind() string        { return "Stop" }
func (Stopping) Kind() string    { return "Stopping" }
func (AwaitStop) Kind() string   { return "AwaitStop" }
func (Stopped) Kind() string     { return "Stopped" }
func (Hold) Kind() string        { return "Hold" }
func (Held) Kind() string        { return "Held" }

// Init and its session spawner (internal/initproc): the spawner lives in
// the nested user namespace of user = "self" sessions and forks them there
// on init's behalf, so a session needs no user namespace of its own.

// Fork asks the spawner to start a process; its descriptors (stdio, then
// any extra) travel with it, in order, and Ctty indexes them.
type Fork struct {
	Path    string    `json:"path"`
	Argv    []string  `json:"argv"`
	Env     []string  `json:"env"`
	Dir     string    `json:"dir"`
	Setctty bool      `json:"setctty,omitempty"`
	Ctty    int       `json:"ctty,omitempty"`
	UID     uint32    `json:"uid"`
	GID     uint32    `json:"gid"`
	Ambient []uintptr `json:"ambient,omitempty"`
}

// Forked is the spawner's answer to Fork: the pid, or the errno of a
// failed start.
type Forked struct {
	PID   int    `json:"pid,omitempty"`
	Errno int    `json:"errno,omitempty"`
	Err   string `json:"err,omitempty"`
}

// Reaped is a spawned process's wait status, sent after its Forked.
type Reaped struct {
	PID    int    `json:"pid"`
	Status uint32 `json:"status"`
}

func (Fork) Kind() string   { return "Fork" }
func (Forked) Kind() string { return "Forked" }
func (Reaped) Kind() string { return "Reaped" }

// SealedInit asks a running sandbox's supervisor (ctl.sock) for its sealed
// copy of devbox-init, made from the file with this identity; the reply
// carries the memfd. Supervisors of one user share one copy, so only the
// first start pays for it, and its pages are in memory once.
type SealedInit struct {
	Dev     uint64 `json:"dev"`
	Ino     uint64 `json:"ino"`
	Size    int64  `json:"size"`
	MtimeNs int64  `json:"mtime_ns"`
}

// SealedInitReply carries the memfd as its one descriptor.
type SealedInitReply struct{}

func (SealedInit) Kind() string      { return "SealedInit" }
func (SealedInitReply) Kind() string { return "SealedInitReply" }

// registry decodes each message kind's body. It is built at first use,
// not at package init: a client that decodes one message kind (Exit) by
// its own decoder (fastDecoders) never builds it.
var registry = sync.OnceValue(func() map[string]func(json.RawMessage) (Message, error) {
	return map[string]func(json.RawMessage) (Message, error){
		"Hello":           decoderFor[Hello](),
		"IDMapped":        decoderFor[IDMapped](),
		"UserNSReady":     decoderFor[UserNSReady](),
		"NetReady":        decoderFor[NetReady](),
		"NetAttached":     decoderFor[NetAttached](),
		"Ready":           decoderFor[Ready](),
		"Go":              decoderFor[Go](),
		"FuseMount":       decoderFor[FuseMount](),
		"FuseServed":      decoderFor[FuseServed](),
		"Error":           decoderFor[Error](),
		"Spawn":           decoderFor[Spawn](),
		"Warning":         decoderFor[Warning](),
		"PortAdd":         decoderFor[PortAdd](),
		"PortRemove":      decoderFor[PortRemove](),
		"PortList":        decoderFor[PortList](),
		"PortReply":       decoderFor[PortReply](),
		"NetAllow":        decoderFor[NetAllow](),
		"NetDeny":         decoderFor[NetDeny](),
		"NetList":         decoderFor[NetList](),
		"NetReply":        decoderFor[NetReply](),
		"Started":         decoderFor[Started](),
		"Signal":          decoderFor[Signal](),
		"Exit":            decoderFor[Exit](),
		"Info":            decoderFor[Info](),
		"InfoReply":       decoderFor[InfoReply](),
		"Stop":            decoderFor[Stop](),
		"Stopping":        decoderFor[Stopping](),
		"AwaitStop":       decoderFor[AwaitStop](),
		"Stopped":         decoderFor[Stopped](),
		"Hold":            decoderFor[Hold](),
		"Held":            decoderFor[Held](),
		"Fork":            decoderFor[Fork](),
		"Forked":          decoderFor[Forked](),
		"Reaped":          decoderFor[Reaped](),
		"SealedInit":      decoderFor[SealedInit](),
		"SealedInitReply": decoderFor[SealedInitReply](),
	}
})
