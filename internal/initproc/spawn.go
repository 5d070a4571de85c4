package initproc

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/timerslack"
	"github.com/devbox-dev/devbox/internal/trace"
	"golang.org/x/sys/unix"
)

// notFoundError is a command missing from the sandbox (exit 127).
type notFoundError struct{ name string }

func (e *notFoundError) Error() string { return e.name + ": command not found" }

// start forks the session. With a terminal, it opens a pty from the sandbox's
// own devpts, makes the slave the session's controlling terminal and returns
// the master for the client. Without one, the client's stdio fds are used
// directly, so pipes and files behave as on the host.
//
// Only the main thread may fork a session itself (onMain); elsewhere start
// returns errSpawnerGone, having started nothing, unless the spawner
// starts it.
//
// mark, when not nil, records a traced phase of the start (session.span):
// the fork and exec itself, inside the whole start.
func start(req proto.Spawn, files []*os.File, sc *strictSessions, sp *spawner, onMain bool, mark func(string, int64)) (int, *os.File, error) {
	if !onMain && !sp.usable(req.KeepID) {
		return 0, nil, errSpawnerGone
	}
	if req.FilterPath {
		req.Env = filterPaths(req.Env, onceEach(isDir))
	}
	argv, err := resolveArgv(req)
	if err != nil {
		return 0, nil, err
	}
	path, err := lookPath(argv[0], envValue(req.Env, "PATH"))
	if err != nil {
		return 0, nil, err
	}
	if req.Shell {
		path = argv[0]
		if req.Login {
			argv[0] = "-" + filepath.Base(path)
		}
	}
	attr := &syscall.ProcAttr{Dir: sessionDir(req.Cwd, req.DefaultCwd), Env: req.Env, Sys: &syscall.SysProcAttr{Setsid: true}}
	name := argv[0]
	fork := forkAsUser
	var stage *keepIDStage
	viaSpawner := sp.usable(req.KeepID)
	switch {
	case viaSpawner && !onMain:
		fork = sp.forkExec
	case viaSpawner:
		// In the spawner's namespace, as the user; a strict spawner is
		// confined itself, so its sessions take no strict stage.
		fork = sp.forkOr(directSelf(req.KeepID))
	case !onMain:
		return 0, nil, errSpawnerGone
	case req.KeepID != nil && outerProc():
		intoSessions(attr.Sys)
		if stage, err = keepIDSession(attr, req.KeepID, sc != nil); err != nil {
			return 0, nil, err
		}
	case req.KeepID != nil:
		// Set up now, not in the fork: the strict stage's wrap below keeps
		// CAP_SETPCAP for a session that changes its user.
		intoSessions(attr.Sys)
		if err := keepID(attr.Sys, req.KeepID); err != nil {
			return 0, nil, err
		}
	default:
		intoSessions(attr.Sys)
	}
	if mark != nil {
		fork = timed(fork, mark, viaSpawner)
	}
	if stage != nil {
		path, argv = stage.wrap(path, argv, attr)
	}
	if sc != nil && !viaSpawner {
		if path, argv, err = sc.wrap(path, argv, attr); err != nil {
			return 0, nil, err
		}
	}
	if !req.TTY {
		return stage.finish(startPlain(fork, path, argv, name, attr, req, files))
	}
	master, slave, err := openPty(req.Rows, req.Cols)
	if err != nil {
		return stage.finish(0, nil, err)
	}
	defer slave.Close()
	attr.Files = append([]uintptr{slave.Fd(), slave.Fd(), slave.Fd()}, attr.Files...)
	attr.Sys.Setctty = true
	attr.Sys.Ctty = 0
	pid, err := fork(path, argv, attr)
	if err != nil {
		master.Close()
		return stage.finish(0, nil, execError(name, err))
	}
	return stage.finish(pid, master, nil)
}

// timed is fork, marked as a phase of the session's start: through the
// spawner (its round trip included) or by init itself (for a session as
// the user before the spawner runs, a full fork into a new user
// namespace).
func timed(fork forkFunc, mark func(string, int64), viaSpawner bool) forkFunc {
	name := "fork and exec in init"
	if viaSpawner {
		name = "fork and exec through the spawner"
	}
	return func(path string, argv []string, attr *syscall.ProcAttr) (int, error) {
		at := trace.Now()
		defer mark(name, at)
		return fork(path, argv, attr)
	}
}

// keepIDSession sets attr up for a session as the invoking user: through
// the kernel's clone path with the sandbox's own /proc, else through the
// keep-id stage it returns (which a strict session cannot take).
func keepIDSession(attr *syscall.ProcAttr, k *proto.KeepID, strict bool) (*keepIDStage, error) {
	if !outerProc() {
		return nil, keepID(attr.Sys, k)
	}
	if strict {
		return nil, errStrictOuterProc
	}
	return newKeepIDStage(k)
}

// forkFunc starts a session's process: syscall.ForkExec, or the spawner's.
type forkFunc func(path string, argv []string, attr *syscall.ProcAttr) (int, error)

// forkAsUser is init's own fork of a session: syscall.ForkExec with the
// user's timer slack, not init's relaxed one (internal/timerslack). The
// spawner forks its sessions the same way.
func forkAsUser(path string, argv []string, attr *syscall.ProcAttr) (pid int, err error) {
	timerslack.AsUsers(func() { pid, err = syscall.ForkExec(path, argv, attr) })
	return pid, err
}

// directSelf starts a self session from init, in a user namespace of its
// own (keepID): the fallback when the spawner is gone (never for strict
// sessions, which the spawner does not start).
func directSelf(k *proto.KeepID) forkFunc {
	return func(path string, argv []string, attr *syscall.ProcAttr) (int, error) {
		intoSessions(attr.Sys)
		if err := keepID(attr.Sys, k); err != nil {
			return 0, err
		}
		return forkAsUser(path, argv, attr)
	}
}

// startPlain starts a session on the client's own stdio fds, and on a
// relay pty for those that are the client's terminal (Spawn.Relay).
func startPlain(fork forkFunc, path string, argv []string, name string, attr *syscall.ProcAttr, req proto.Spawn, files []*os.File) (int, *os.File, error) {
	if err := checkRelay(req.Relay, len(files)); err != nil {
		return 0, nil, err
	}
	var master, slave *os.File
	if len(req.Relay) > 0 {
		var err error
		if master, slave, err = openRelayPty(req.Rows, req.Cols); err != nil {
			return 0, nil, err
		}
		defer slave.Close()
	}
	// The strict session stage's binary (strictSessions.wrap) follows stdio.
	extra := attr.Files
	attr.Files = make([]uintptr, 3)
	next := 0
	for fd := range attr.Files {
		if slices.Contains(req.Relay, fd) {
			attr.Files[fd] = slave.Fd()
			continue
		}
		attr.Files[fd] = files[next].Fd()
		next++
	}
	attr.Files = append(attr.Files, extra...)
	pid, err := fork(path, argv, attr)
	if err != nil {
		if master != nil {
			master.Close()
		}
		return 0, nil, execError(name, err)
	}
	return pid, master, nil
}

// checkRelay validates Spawn.Relay against the number of fds received.
func checkRelay(relay []int, nfiles int) error {
	for i, fd := range relay {
		if fd < 0 || fd > 2 || slices.Contains(relay[:i], fd) {
			return fmt.Errorf("spawn: bad relay fd list %v", relay)
		}
	}
	if nfiles != 3-len(relay) {
		return fmt.Errorf("spawn: want %d stdio fds, got %d", 3-len(relay), nfiles)
	}
	return nil
}

// openRelayPty opens a pty whose line discipline passes the client's
// terminal through: the user's own terminal already echoes, edits lines
// and turns ^C into signals, so this one only keeps lines (canonical mode,
// so the client can deliver end-of-file as VEOF) and changes no bytes.
func openRelayPty(rows, cols uint16) (*os.File, *os.File, error) {
	master, slave, err := openPty(rows, cols)
	if err != nil {
		return nil, nil, err
	}
	t, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
	if err == nil {
		relayTermios(t)
		err = unix.IoctlSetTermios(int(slave.Fd()), unix.TCSETS, t)
	}
	if err != nil {
		master.Close()
		slave.Close()
		return nil, nil, fmt.Errorf("set relay terminal modes: %w", err)
	}
	return master, slave, nil
}

// relayTermios makes t a pass-through line discipline (see openRelayPty).
// VEOF stays ^D (RelayEOF); every other editing character is disabled.
func relayTermios(t *unix.Termios) {
	t.Iflag &^= unix.ICRNL | unix.INLCR | unix.IGNCR | unix.IXON | unix.IXOFF | unix.ISTRIP | unix.BRKINT | unix.IMAXBEL
	t.Oflag &^= unix.OPOST
	t.Lflag = unix.ICANON
	for _, c := range []int{unix.VERASE, unix.VKILL, unix.VEOL, unix.VEOL2, unix.VWERASE, unix.VREPRINT, unix.VLNEXT} {
		t.Cc[c] = 0
	}
	t.Cc[unix.VEOF] = proto.RelayEOF
}

func execError(name string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, syscall.ENOENT) {
		return &notFoundError{name: name}
	}
	return fmt.Errorf("%s: cannot execute: %w", name, err)
}

// sessionDir is the requested working directory if it exists inside, else
// the default (an image's WorkingDir), else /.
func sessionDir(cwd, def string) string {
	for _, d := range []string{cwd, def} {
		if fi, err := os.Stat(d); d != "" && err == nil && fi.IsDir() {
			return d
		}
	}
	return "/"
}

// resolveArgv picks the shell for shell sessions: the user's $SHELL if this
// root has it, else bash, else sh.
func resolveArgv(req proto.Spawn) ([]string, error) {
	if !req.Shell {
		if len(req.Argv) == 0 || req.Argv[0] == "" {
			return nil, errors.New("spawn: empty command")
		}
		return append([]string(nil), req.Argv...), nil
	}
	for _, sh := range []string{req.ShellHint, "/bin/bash", "/bin/sh"} {
		if sh != "" && isExecutable(sh) {
			return append([]string{sh}, req.Argv...), nil
		}
	}
	return nil, &notFoundError{name: "shell (tried $SHELL, /bin/bash, /bin/sh)"}
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// lookPath resolves name in the session's PATH (not init's), as a shell
// would: names with a slash are used as given.
func lookPath(name, pathEnv string) (string, error) {
	if strings.Contains(name, "/") {
		if _, err := os.Stat(name); err != nil {
			return "", &notFoundError{name: name}
		}
		return name, nil
	}
	var denied error
	for _, dir := range filepath.SplitList(pathEnv) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		fi, err := os.Stat(p)
		if err != nil || fi.IsDir() {
			continue
		}
		if fi.Mode()&0o111 == 0 {
			denied = fmt.Errorf("%s: cannot execute: permission denied", p)
			continue
		}
		return p, nil
	}
	if denied != nil {
		return "", denied
	}
	return "", &notFoundError{name: name}
}

// pathVars are the variables FilterPath applies to: PATH and the copy the
// rc files re-apply (shellinit.PathVar).
var pathVars = map[string]bool{"PATH": true, "DEVBOX_PATH": true}

// filterPaths drops the entries of the path variables for which exists is
// false, keeping the order; a PATH left empty becomes /usr/bin:/bin.
func filterPaths(env []string, exists func(string) bool) []string {
	out := make([]string, len(env))
	for i, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if !pathVars[k] {
			out[i] = kv
			continue
		}
		var keep []string
		for _, d := range filepath.SplitList(v) {
			if filepath.IsAbs(d) && exists(d) {
				keep = append(keep, d)
			}
		}
		if len(keep) == 0 {
			keep = []string{"/usr/bin", "/bin"}
		}
		out[i] = k + "=" + strings.Join(keep, ":")
	}
	return out
}

// onceEach remembers f's answer for each path: PATH and DEVBOX_PATH
// usually list the same directories, and each stat is a path walk in the
// sandbox's mounts.
func onceEach(f func(string) bool) func(string) bool {
	seen := map[string]bool{}
	return func(p string) bool {
		v, ok := seen[p]
		if !ok {
			v = f(p)
			seen[p] = v
		}
		return v
	}
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

func envValue(env []string, key string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], key+"="); ok {
			return v
		}
	}
	return ""
}

// openPty opens a new pty pair in the sandbox's devpts instance. The slave is
// opened through the master (TIOCGPTPEER), so no path lookup can be raced.
func openPty(rows, cols uint16) (*os.File, *os.File, error) {
	m, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("open /dev/ptmx: %w", err)
	}
	master := os.NewFile(uintptr(m), "pty-master")
	if err := unix.IoctlSetPointerInt(m, unix.TIOCSPTLCK, 0); err != nil {
		master.Close()
		return nil, nil, fmt.Errorf("unlock pty: %w", err)
	}
	s, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(m), unix.TIOCGPTPEER, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC)
	if errno != 0 {
		master.Close()
		return nil, nil, fmt.Errorf("open pty slave: %w", errno)
	}
	if rows > 0 && cols > 0 {
		unix.IoctlSetWinsize(m, unix.TIOCSWINSZ, &unix.Winsize{Row: rows, Col: cols})
	}
	return master, os.NewFile(s, "pty-slave"), nil
}
