package supervisor

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/devbox-dev/devbox/cgroupv2"
	"github.com/devbox-dev/devbox/hint"
	"github.com/devbox-dev/devbox/internal/caps"
	"github.com/devbox-dev/devbox/internal/fds"
	"github.com/devbox-dev/devbox/internal/prefault"
	"github.com/devbox-dev/devbox/internal/preflight"
	"github.com/devbox-dev/devbox/internal/protect"
	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/state"
	"github.com/devbox-dev/devbox/internal/trace"
	"github.com/devbox-dev/devbox/slirpnet"
	"github.com/devbox-dev/devbox/userns"
	"golang.org/x/sys/unix"
)

// FDReady is the pipe on which the supervisor reports Warning, then Ready or
// Error, to the client that started it.
const FDReady = 3

// FDLaunch is the first session's connection when the client sent it with
// the launch (proto.Spec.LaunchSession); the child gets it as its fd 6.
const FDLaunch = 4

// FDSpec is the pipe on which the client sends the launch spec (JSON, to
// EOF): it starts the supervisor first and makes the spec while this
// process loads.
const FDSpec = 5

// handshakeTimeout bounds the whole parent/child setup.
const handshakeTimeout = 30 * time.Second

// childErrorWait bounds the read for a failed child's Error after a send
// to it failed: the Error, if any, is already queued.
const childErrorWait = time.Second

// IsSupervisor reports whether this process was started as a supervisor.
func IsSupervisor() bool { return os.Getenv(proto.EnvSupervise) != "" }

// SuperviseMain runs the supervisor and returns its exit status.
func SuperviseMain() int {
	trace.SetProc("supervisor")
	trace.Started()
	// The ready pipe (fd 3) too: only this process writes it, and the
	// child, slirp4netns and pasta get exactly the fds they are given.
	fds.CloseOnExecFrom(FDReady)
	s := &supervisor{ready: os.NewFile(FDReady, "ready"), pre: prepareBeforeSpec()}
	startedEarly := os.Getenv(proto.EnvSupervise) == proto.SuperviseOwnLog
	if startedEarly {
		s.prestartChild()
	}
	end := trace.Begin("read launch spec")
	spec, err := readSpec()
	end()
	if errors.Is(err, errNoSpec) {
		s.stopChild()
		return 125 // the client gave up on this start: nobody to tell
	}
	if err == nil && startedEarly {
		err = openOwnLog(spec.StateDir)
	}
	if err != nil {
		s.stopChild()
		proto.Encode(s.ready, proto.Error{Msg: fmt.Sprintf("read launch spec: %v", err), Code: 125})
		return 125
	}
	os.Unsetenv(proto.EnvSupervise)
	// proto.IdleRuntime is this process's alone: the helpers it starts
	// (asroot's storage operations, the network watcher) get the default.
	os.Unsetenv("GOMAXPROCS")
	s.spec = spec
	s.openImage()
	if spec.LaunchSession {
		s.launch = os.NewFile(FDLaunch, "launch-session")
	} else {
		unix.Close(FDLaunch) // a started-early supervisor's, unused
	}
	defer s.cleanup()
	if err := s.start(); err != nil {
		// The client kills this process once it has the error: end the
		// child first, so a command run right after cannot find it still
		// holding the sandbox socket and join a sandbox that is going away.
		s.stopChild()
		s.keepLog()
		proto.Encode(s.ready, proto.Error{Msg: err.Error(), Hint: hint.Of(err), Code: 125})
		return 125
	}
	return s.wait()
}

// errNoSpec: the spec pipe closed empty. The client of a supervisor it
// started early (before loading the config) went another way: an image
// sandbox, an error, or its own exit.
var errNoSpec = errors.New("no launch spec: the client closed the pipe")

// readSpec reads and decodes the launch spec from FDSpec, which it closes.
func readSpec() (proto.Spec, error) {
	var spec proto.Spec
	f := os.NewFile(FDSpec, "launch-spec")
	defer f.Close()
	blob, err := io.ReadAll(f)
	if err == nil && len(blob) == 0 {
		return spec, errNoSpec
	}
	if err == nil {
		spec, err = proto.UnmarshalSpec(blob)
	}
	return spec, err
}

// openOwnLog makes the sandbox's log in dir this process's stdout and
// stderr, as the client does for a supervisor it starts with the runtime
// dir made (proto.SuperviseOwnLog).
func openOwnLog(dir string) error {
	log, err := state.OpenLog(dir)
	if err != nil {
		return err
	}
	defer log.Close()
	for _, fd := range []int{1, 2} {
		if err := unix.Dup3(int(log.Fd()), fd, 0); err != nil {
			return fmt.Errorf("open supervisor log: %w", err)
		}
	}
	return nil
}

// supervisor is the host side of one running sandbox.
type supervisor struct {
	spec  proto.Spec
	ready *os.File
	// pre is what was worked out before the spec came (early.go).
	pre *preSpec
	// readyKept is set when release keeps the ready pipe open, to carry
	// Stopped to the client of a launch session (teardown.go).
	readyKept bool
	// launch is the first session's connection (FDLaunch), until the
	// child has it.
	launch *os.File
	// prestarted is set while the child is one started before the spec,
	// with a network namespace (prestartNetNS): prestart.go.
	prestarted, prestartNetNS bool
	// goSent is set once init has Go.
	goSent bool
	ln     *net.UnixListener
	cmd    *exec.Cmd
	parent *proto.Conn
	exited chan error
	// mapped gets the outcome of the child's id maps, which are written
	// while the child execs (startChild).
	mapped chan error
	plan   userns.Plan
	// cgroup is the sandbox's group (nil when not delegated); cgroupFD is
	// its directory, for CLONE_INTO_CGROUP.
	cgroup    *cgroupv2.Group
	cgroupFD  *os.File
	pidsLimit int64
	// net is the user-mode network, nil for none and host.
	net        *slirpnet.Network
	portsReady chan struct{}
	// proxy is a strict sandbox's egress proxy, serving proxyLn, the
	// listener the child made inside.
	proxy   *proxy
	proxyLn net.Listener
	// notifyFile is the connect notifier's listener (notify.go), nil
	// where the kernel has none.
	notifyFile *os.File
	// image is an image sandbox's writable layer (image.go), nil for the
	// host view.
	image ImageRoot
	// sealed is the sealed copy of devbox-init the child runs (nil when
	// it runs the installed file), kept to lend to this user's next
	// sandboxes; sealedID is the file it was made from.
	sealed   *os.File
	sealedID proto.SealedInit
	// st is state.json as written, updated by the network watcher.
	st   state.State
	stMu sync.Mutex
	// stopWaiters get Stopped once the sandbox has ended, and mountNS
	// holds the sandbox's mount namespace until then (teardown.go).
	stopWaiters stopWaiters
	mountNS     *os.File
}

// start is the supervisor's sequence up to a serving sandbox.
func (s *supervisor) start() error {
	steps := []struct {
		name string
		fn   func() error
	}{
		{"image", s.prepareImage},
		{"review layer", s.prepareReview},
		{"cgroup", s.setupCgroup},
		{"left placeholders", s.removeLeftStubs},
		{"plan ids", s.planIDs},
		// Its id maps are written while it execs, long before its
		// runtime has started and it says Hello.
		{"start child", s.startOrAdoptChild},
		// The child gets the listener in NetReady: it serves it only
		// after its setup.
		{"listen", s.listen},
		{"settle cgroup", s.settleCgroup},
		{"handshake", s.handshake},
		{"keep placeholders", s.keepStubs},
		{"publish ports", s.publishPorts},
		{"proxy", s.startProxy},
		{"go (launch session)", s.goEarly},
		{"control socket", s.serveControl},
		{"state.json", s.writeState},
		{"watch network", s.watchNetwork},
		{"release", s.release},
	}
	for _, step := range steps {
		end := trace.Begin(step.name)
		err := step.fn()
		end()
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *supervisor) dir() string { return s.spec.StateDir }

// etcFiles are the sandbox's hostname, hosts and resolv.conf as the child
// first writes them: the host's resolver config, or the strict sandbox's.
func (s *supervisor) etcFiles() proto.EtcFiles {
	h := s.spec.Hostname
	resolv, err := os.ReadFile("/etc/resolv.conf")
	if err != nil {
		resolv = nil // no resolver on the host; an empty file inside
	}
	if s.spec.Security == proto.SecurityStrict {
		resolv = []byte(strictResolvConf)
	}
	return proto.EtcFiles{Hostname: h + "\n", Hosts: hostsFile(h), ResolvConf: string(resolv)}
}

// strictResolvConf: no route out, so no DNS; names are the proxy's to
// resolve. The nameserver is the sandbox's own loopback, where nothing
// answers (port 53 needs a capability sessions lack): a resolver's query
// goes there, and not to an address the kernel drops without a word, so
// the connect notifier refuses it at once (EACCES, no timeout) and
// records it as a "dns" denial. glibc, musl and Go would ask 127.0.0.1
// without the line too; it is there to be read.
const strictResolvConf = `# devbox strict sandbox: there is no DNS inside. Programs reach allowed
# hosts by name through devbox's proxy (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY),
# which resolves them. A query to this nameserver is refused and recorded:
# see 'devbox logs --denials'.
nameserver 127.0.0.1
options attempts:1
`

func hostsFile(hostname string) string {
	return "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t" + hostname + "\n"
}

// listen creates the sandbox socket; init inherits the listener.
func (s *supervisor) listen() error {
	path := filepath.Join(s.dir(), state.SocketFile)
	os.Remove(path)
	ln, err := net.ListenUnix("unixpacket", &net.UnixAddr{Name: path, Net: "unixpacket"})
	if err != nil {
		return fmt.Errorf("listen on sandbox socket: %w", err)
	}
	ln.SetUnlinkOnClose(false)
	if err := os.Chmod(path, 0o600); err != nil {
		return fmt.Errorf("restrict sandbox socket: %w", err)
	}
	s.ln = ln
	return nil
}

// planIDs decides the id mapping, which startChild writes on the child,
// and reports the single-id fallback once.
func (s *supervisor) planIDs() error {
	plan, err := s.pre.planFor(s.spec)
	if err != nil {
		return err
	}
	s.plan = plan
	s.spec.SingleID = plan.Size() <= 1
	if plan.Warning != "" {
		return proto.Encode(s.ready, proto.Warning{Msg: plan.Warning})
	}
	return nil
}

// startChild starts the sandbox child in new namespaces from a sealed copy of
// this binary. The OS thread that starts it stays locked for the child's
// lifetime: Pdeathsig fires when that thread exits.
func (s *supervisor) startChild() error {
	end := trace.Begin("sealed init binary")
	exe, err := s.sealedInit()
	end()
	if err != nil {
		return err
	}
	parentEnd, childEnd, err := proto.Socketpair()
	if err != nil {
		return err
	}
	fuseEnd, fuseChildEnd, err := proto.Socketpair()
	if err != nil {
		parentEnd.Close()
		childEnd.Close()
		return err
	}
	stderr, err := initStderr(os.Stderr)
	if err != nil {
		return err
	}
	// fd 4, the sandbox socket's listener, comes with NetReady instead.
	extra := []*os.File{childEnd, nil, fuseChildEnd}
	if s.launch != nil {
		extra = append(extra, s.launch) // fd 6
	}
	s.cmd = &exec.Cmd{
		Path:       fmt.Sprintf("/proc/self/fd/%d", exe.Fd()),
		Args:       []string{"devbox-init"},
		Env:        childEnv(),
		ExtraFiles: extra,
		Stderr:     stderr,
		SysProcAttr: &unix.SysProcAttr{
			Cloneflags:  cloneFlags(s.netNS()),
			Pdeathsig:   unix.SIGKILL,
			AmbientCaps: childCaps(),
		},
	}
	s.intoCgroup(s.cmd.SysProcAttr)
	started := make(chan error, 1)
	s.exited = make(chan error, 1)
	s.mapped = make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: see Pdeathsig
		end := trace.Begin("clone+exec child")
		err := s.cmd.Start()
		end()
		if err != nil {
			started <- err
			return
		}
		started <- nil
		userns.AwaitExit(s.cmd.Process.Pid) // parked, the thread stays
		s.exited <- s.cmd.Wait()
	}()
	err = <-started
	if err == nil {
		s.mapIDs(s.cmd.Process.Pid)
		prefault.AfterFork() // the clone was a full fork: see AfterFork
	}
	childEnd.Close()
	fuseChildEnd.Close()
	s.closeLaunch()
	stderr.Close()
	exe.Close()
	if err != nil {
		parentEnd.Close()
		fuseEnd.Close()
		return startError(err)
	}
	fuse, err := proto.FileConn(fuseEnd)
	fuseEnd.Close()
	if err != nil {
		parentEnd.Close()
		return err
	}
	go s.serveFuse(fuse)
	s.parent, err = proto.FileConn(parentEnd)
	parentEnd.Close()
	return err
}

// mapIDs starts writing the child's id maps (newuidmap and newgidmap, or
// the files) while the child execs and starts its runtime, rather than
// after its Hello: a new user namespace's maps can be written once the
// process is in it, and the child needs them only once it reads IDMapped.
// It holds every capability either way: as ambient ones through an exec
// that finds its uid unmapped, as uid 0 through one that finds it mapped.
// startChild calls it as soon as the clone has returned, before it goes on
// with its own steps: on its goroutine, not on the one that cloned the
// child, whose thread stays locked (Pdeathsig), so that the helpers'
// goroutines (os/exec's, the wait's) need no other thread to run on. The
// wait for the helpers runs on a goroutine of its own.
func (s *supervisor) mapIDs(pid int) {
	end := trace.Begin("start id map helpers")
	wait := s.plan.StartMapping(pid)
	end()
	// No span for the wait: it would straddle the start and handshake
	// phases; "wait for the id maps" is what it adds to the start.
	go func() { s.mapped <- wait() }()
}

func cloneFlags(netns bool) uintptr {
	f := unix.CLONE_NEWUSER | unix.CLONE_NEWNS | unix.CLONE_NEWPID | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC | unix.CLONE_NEWCGROUP
	if netns {
		f |= unix.CLONE_NEWNET
	}
	return uintptr(f)
}

// startError explains the usual reasons a user namespace cannot be created.
func startError(err error) error {
	if perr := preflight.ProbeUserNS(); perr != nil {
		return perr
	}
	if errors.Is(err, unix.ENOSPC) {
		return hint.Wrap(fmt.Errorf("create namespaces: %w", err), "the per-user namespace limit is reached; raise it with 'sudo sysctl -w user.max_user_namespaces=28633'")
	}
	// AppArmor's restriction can refuse the clone itself (EACCES) where the
	// probe's simpler one passed: see rootlesskit#421.
	return preflight.ExplainUserNSDenied(fmt.Errorf("create namespaces: %w", err))
}

// handshake drives the child through the protocol steps (see package proto).
func (s *supervisor) handshake() error {
	s.parent.Unix().SetDeadline(time.Now().Add(handshakeTimeout))
	defer s.parent.Unix().SetDeadline(time.Time{})
	end := trace.Begin("child exec (to Hello)")
	hello, err := proto.RecvAs[proto.Hello](s.parent)
	end()
	if err != nil {
		return s.childError(err)
	}
	if hello.Version != proto.ProtocolVersion {
		return hint.Wrap(fmt.Errorf("%s speaks protocol %d, this devbox %d: they come from different builds", InitName, hello.Version, proto.ProtocolVersion),
			"reinstall both from one checkout: ./install.sh")
	}
	end = trace.Begin("wait for the id maps")
	err = <-s.mapped
	end()
	if err != nil {
		return err
	}
	if err := s.send(proto.IDMapped{}); err != nil {
		return err
	}
	// Without a network helper to attach, nothing in NetReady and
	// NetAttached waits for the child's UserNSReady: they go right
	// behind IDMapped, and the child finds them queued.
	attaches := s.spec.Network.Attaches()
	if !attaches {
		if err := s.sendNetwork(); err != nil {
			return err
		}
	}
	end = trace.Begin("child to UserNSReady")
	_, err = proto.RecvAs[proto.UserNSReady](s.parent)
	end()
	if err != nil {
		return s.childError(err)
	}
	if attaches {
		if err := s.sendNetwork(); err != nil {
			return err
		}
	}
	end = trace.Begin("child setup (to Ready)")
	ready, err := s.awaitReady()
	end()
	if err != nil {
		return err
	}
	trace.Add(ready.Trace)
	for _, n := range ready.Notices {
		if err := proto.Encode(s.ready, proto.Warning{Msg: n}); err != nil {
			return err
		}
	}
	return nil
}

// sendNetwork sends NetReady, attaches the network helper, if any, and
// sends NetAttached.
func (s *supervisor) sendNetwork() error {
	nr, err := s.prepareNetwork()
	if err != nil {
		return err
	}
	if err := s.sendNetReady(nr); err != nil {
		return err
	}
	end := trace.Begin("network attach (child builds its root meanwhile)")
	na, err := s.attachNetwork()
	end()
	if err != nil {
		return err
	}
	return s.send(na)
}

// sendNetReady sends NetReady with the sandbox socket's listener, which
// init serves.
func (s *supervisor) sendNetReady(nr proto.NetReady) error {
	lnFile, err := s.ln.File()
	if err != nil {
		return fmt.Errorf("pass sandbox socket: %w", err)
	}
	defer lnFile.Close()
	return s.send(nr, int(lnFile.Fd()))
}

// send sends msg to the child. A child that failed has sent its Error
// and exited, so the send fails (broken pipe) while the Error waits in
// the socket: that Error, which says what went wrong, is reported
// instead of the pipe.
func (s *supervisor) send(msg proto.Message, fds ...int) error {
	err := s.parent.Send(msg, fds...)
	if err == nil {
		return nil
	}
	s.parent.Unix().SetReadDeadline(time.Now().Add(childErrorWait))
	defer s.parent.Unix().SetReadDeadline(time.Time{})
	queued, files, rerr := s.parent.Recv()
	closeFiles(files)
	if e, ok := queued.(proto.Error); ok && rerr == nil {
		return s.childError(&proto.RemoteError{Msg: e.Msg, Hint: e.Hint, Code: e.Code})
	}
	return err
}

// childError turns a child's Error into one message with its hint.
func (s *supervisor) childError(err error) error {
	var re *proto.RemoteError
	if errors.As(err, &re) {
		return hint.Wrap(fmt.Errorf("set up sandbox: %s", re.Msg), re.Hint)
	}
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("set up sandbox: the sandbox process exited during setup (see %s)", keptLogPath(s.spec.Name))
	}
	return fmt.Errorf("set up sandbox: %w", err)
}

func (s *supervisor) writeState() error {
	start, err := state.StartTime(os.Getpid())
	if err != nil {
		return fmt.Errorf("read own start time: %w", err)
	}
	spec := s.spec
	s.st = state.State{
		Name: spec.Name, Project: spec.ProjectDir, Hostname: spec.Hostname, Network: spec.Network.Name(),
		IdleTimeout: spec.IdleTimeout, Ephemeral: s.spec.Ephemeral,
		Supervisor: os.Getpid(), SupervisorStart: start, Init: s.cmd.Process.Pid,
		Helpers: s.helperPIDs(),
		Created: time.Now().UTC(), BootID: state.BootID(), Cgroup: s.cgroupPath(),
		SingleID: spec.SingleID,
	}
	if spec.Review != nil {
		s.st.Review = spec.Review.Driver
	}
	if im := spec.Image; im != nil {
		s.st.Image = &state.Image{Name: im.Ref, ID: im.ImageID, Config: im.Config}
	}
	return state.Write(s.dir(), s.st)
}

// updateState changes state.json while the sandbox runs.
func (s *supervisor) updateState(change func(*state.State)) {
	s.stMu.Lock()
	defer s.stMu.Unlock()
	change(&s.st)
	if err := state.Write(s.dir(), s.st); err != nil {
		fmt.Fprintf(os.Stderr, "devbox-supervisor: %v\n", err)
	}
}

// release lets init serve and tells the client the sandbox is ready. The
// client of a launch session keeps reading the ready pipe, for Stopped.
func (s *supervisor) release() error {
	at := trace.Mark()
	if err := s.sendGo(); err != nil {
		return err
	}
	s.ln.Close()
	trace.Since("go, close the listener", at)
	proto.Encode(s.ready, proto.Ready{Trace: trace.Take()})
	if s.spec.LaunchSession {
		s.readyKept = true
		return nil
	}
	s.ready.Close()
	return nil
}

// goEarly lets init start the launch session once everything that must
// precede any session is in place (the ports published, a strict
// sandbox's proxy and connect notifier serving), rather than after the
// steps that only the sandbox's later users read: ctl.sock, state.json
// and the network watcher. Those overlap the session's start. A client
// that joins meanwhile finds what it would find while its connection
// waited in the socket's backlog: the socket, and perhaps no state.json.
func (s *supervisor) goEarly() error {
	if !s.spec.LaunchSession {
		return nil
	}
	return s.sendGo()
}

func (s *supervisor) sendGo() error {
	if s.goSent {
		return nil
	}
	s.goSent = true
	return s.send(proto.Go{})
}

// closeLaunch closes this process's copy of the launch session's
// connection: the child holds it, and the client must see its end close
// when the child does.
func (s *supervisor) closeLaunch() {
	if s.launch != nil {
		s.launch.Close()
		s.launch = nil
	}
}

// wait supervises the running sandbox: a SIGTERM, SIGINT or SIGHUP to the
// supervisor becomes a graceful stop of init; init's exit ends the sandbox.
// releaseDelay is how long after its start the supervisor gives back its
// start's pages of its binary (wait).
const releaseDelay = time.Second

func (s *supervisor) wait() int {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, unix.SIGTERM, unix.SIGINT, unix.SIGHUP)
	s.holdMountNS()
	// Idle for hours: keep the heap small. No forced collection here
	// (init has one, after its setup's garbage): the supervisor's start
	// leaves its heap below the first collection's goal, and a first
	// collection allocates the collector's own structures for good (mark
	// bits, work buffers), which cost an idle supervisor 0.34 MiB more
	// than the garbage it would free.
	debug.SetGCPercent(25)
	// The pages of this binary its start mapped (package prefault) go
	// back to the page cache once it idles: a second on, by when a
	// throwaway sandbox's short session and its teardown, which would
	// fault some back in, are often over.
	release := time.AfterFunc(releaseDelay, prefault.Release)
	defer release.Stop()
	for {
		select {
		case <-sigs:
			s.cmd.Process.Signal(unix.SIGTERM)
		case <-s.exited:
			s.cmd = nil // already reaped
			return 0
		}
	}
}

// stopChild kills a child that is still there, waits for it, and closes
// the sandbox socket's listener.
func (s *supervisor) stopChild() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Kill()
		select {
		case <-s.exited:
			s.cmd = nil // reaped
		case <-time.After(5 * time.Second):
		}
	}
	if s.ln != nil {
		s.ln.Close()
	}
	if s.proxyLn != nil {
		s.proxyLn.Close()
	}
}

// stubsDataDir is where the record of a strict sandbox's placeholders is
// kept past a reboot: its data dir; none for a --rm sandbox.
func (s *supervisor) stubsDataDir() (string, bool) {
	if s.spec.Security != proto.SecurityStrict || s.spec.Ephemeral {
		return "", false
	}
	dir, err := state.SandboxData(s.spec.Name)
	return dir, err == nil
}

// removeLeftStubs removes the placeholders a killed run of this sandbox
// left (the client removed those in a runtime dir it found stale; this is
// the record that outlives a reboot), before the child makes new ones: a
// left one would read as the user's own directory.
func (s *supervisor) removeLeftStubs() error {
	if dir, ok := s.stubsDataDir(); ok {
		protect.RemoveStubs(dir)
	}
	return nil
}

// keepStubs copies the child's record of placeholders to the data dir.
func (s *supervisor) keepStubs() error {
	if dir, ok := s.stubsDataDir(); ok {
		return protect.KeepStubs(s.dir(), dir)
	}
	return nil
}

func (s *supervisor) helperPIDs() []int {
	if s.net == nil {
		return nil
	}
	return s.net.HelperPIDs()
}

// awaitReady waits for Ready, which carries the proxy's listener for a
// strict sandbox.
func (s *supervisor) awaitReady() (proto.Ready, error) {
	msg, files, err := s.parent.Recv()
	var ready proto.Ready
	if err == nil {
		ready, err = proto.As[proto.Ready](msg)
	}
	if err != nil {
		closeFiles(files)
		return ready, s.childError(err)
	}
	if s.spec.Security != proto.SecurityStrict {
		closeFiles(files)
		return ready, nil
	}
	if len(files) != 1 && len(files) != 2 {
		closeFiles(files)
		return ready, fmt.Errorf("set up sandbox: Ready carried %d descriptors, want the proxy's listener and the connect notifier's", len(files))
	}
	defer files[0].Close()
	if len(files) == 2 {
		s.notifyFile = files[1] // the child could not install it where there is one
	}
	if s.proxyLn, err = net.FileListener(files[0]); err != nil {
		return ready, fmt.Errorf("use the proxy's listener: %w", err)
	}
	return ready, nil
}

// childEnv is the child's starting environment, with the trace switch
// passed on.
func childEnv() []string {
	if trace.On() {
		return proto.ChildEnv(trace.Env + "=1")
	}
	return proto.ChildEnv()
}

// childCaps are the capabilities the child keeps through its exec as
// ambient ones: all of them, as its new user namespace grants (a new
// namespace starts with the full bounding set, whatever the supervisor's).
// The child is created with every capability in that namespace but may
// exec before the supervisor has mapped its ids (mapIDs runs beside the
// exec), and execve would drop them for an unmapped uid; ambient
// capabilities survive it, which saves the child a second exec. The child
// clears them before it starts anything.
func childCaps() []uintptr { return caps.All() }
