// Package strict confines the sessions of a sandbox under the strict
// profile. It runs inside the sandbox, in each strict session's first
// process: init starts a session by executing its own binary (the sealed
// devbox-init) in the session stage, which confines itself and then
// executes the session's program. The confinement is per session because
// init's spawning thread must keep what sessions lose: it creates the
// nested user namespace of user = "self" sessions, which the strict filter
// forbids, and holds the capabilities that write their id maps.
//
// The steps, in order, on the thread that then executes the program
// (no_new_privs, capabilities and the Landlock domain are per thread):
//
//  1. no_new_privs: setuid files and file capabilities give nothing.
//  2. a Landlock domain (landlock.go), best effort by the kernel's ABI:
//     everything readable, writable only the project, /tmp, /var/tmp,
//     /dev/shm, the home, writable extra mounts, the terminals and
//     /dev/null; TCP connect only to the proxy's port; abstract unix
//     sockets and signals scoped to the session's own processes.
//  3. every capability dropped: bounding, ambient, permitted, effective,
//     inheritable.
//  4. the strict seccomp filter over the default one (internal/seccomp).
//  5. exec of the program, with the session's own environment.
//
// A session started through this stage is a Landlock domain of its own:
// its processes cannot signal or reach the abstract sockets of another
// domain's, nor of init. Sessions the spawner forks share its domain
// (ConfineSpawner).
package strict

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/devbox-dev/devbox/internal/caps"

	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/seccomp/prebuilt"
	"golang.org/x/sys/unix"
)

// Argv0 names the session stage: init starts its own binary with this
// argv[0], then the program's path and argv.
const Argv0 = "devbox-session"

// EnvPolicy carries the session Policy (JSON) from init to the session
// stage, which removes it before the program runs.
const EnvPolicy = "_DEVBOX_SESSION"

// ExeFD is the descriptor of init's binary in the session stage: init
// passes it as the fourth descriptor and executes /proc/self/fd/3.
const ExeFD = 3

// Policy is what a strict session is confined to. It is the same for every
// session of a sandbox; init builds it once from the launch spec.
type Policy struct {
	// Writable are the directories sessions may write beneath;
	// WritableFiles the single files (binds of sockets and files).
	Writable      []string `json:"writable"`
	WritableFiles []string `json:"writable_files,omitempty"`
	// ProxyPort is the one TCP port sessions may connect to.
	ProxyPort uint16 `json:"proxy_port"`
}

// IsSession reports whether this process is a strict session's first stage.
func IsSession() bool {
	return len(os.Args) > 2 && os.Args[0] == Argv0 && os.Getenv(EnvPolicy) != ""
}

// Wrap returns the path, argv and environment with which init starts a
// strict session running path with argv and env.
func Wrap(path string, argv, env []string, p Policy) (string, []string, []string, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return "", nil, nil, fmt.Errorf("encode session policy: %w", err)
	}
	wargv := append([]string{Argv0, path}, argv...)
	wenv := append(append([]string(nil), env...), EnvPolicy+"="+string(b))
	return "/proc/self/fd/" + strconv.Itoa(ExeFD), wargv, wenv, nil
}

// SessionMain confines this process and executes the session's program.
// It returns only on failure, with the exit status: 126 (cannot execute)
// as a shell would, after one line on stderr, which is the session's.
func SessionMain() int {
	runtime.LockOSThread()
	unix.CloseOnExec(ExeFD)
	path, argv := os.Args[1], os.Args[2:]
	var p Policy
	if err := json.Unmarshal([]byte(os.Getenv(EnvPolicy)), &p); err != nil {
		return fail(fmt.Errorf("decode session policy: %w", err))
	}
	env := withoutPolicy(os.Environ())
	if err := confine(p); err != nil {
		return fail(err)
	}
	err := unix.Exec(path, argv, env)
	return fail(fmt.Errorf("%s: cannot execute: %w", argv[0], err))
}

func fail(err error) int {
	fmt.Fprintf(os.Stderr, "devbox: strict session: %v\n", err)
	return 126
}

func withoutPolicy(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, EnvPolicy+"=") {
			out = append(out, kv)
		}
	}
	return out
}

// confine applies the steps of the package doc but the exec.
func confine(p Policy) error {
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("set no_new_privs: %w", err)
	}
	if err := restrictLandlock(p); err != nil {
		return err
	}
	if err := dropAllCaps(); err != nil {
		return err
	}
	f, err := prebuilt.Strict()
	if err != nil {
		return err
	}
	return f.Install()
}

// dropAllCaps empties every capability set of the calling thread. The
// bounding set needs CAP_SETPCAP, which init gives a user = "self" session
// as its one ambient capability (its nested user namespace starts with a
// full bounding set); a root session has it from init.
func dropAllCaps() error {
	last, err := caps.Last()
	if err != nil {
		return err
	}
	for c := uintptr(0); c <= last; c++ {
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, c, 0, 0, 0); err != nil {
			return fmt.Errorf("drop capability %d from the bounding set: %w", c, err)
		}
	}
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil {
		return fmt.Errorf("clear ambient capabilities: %w", err)
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var none [2]unix.CapUserData
	if err := unix.Capset(&hdr, &none[0]); err != nil {
		return fmt.Errorf("drop capabilities: %w", err)
	}
	return nil
}

// scratch are the sandbox's own writable directories: tmpfs mounts of the
// child (internal/child/rootfs.go), private to the sandbox.
var scratch = []string{"/tmp", "/var/tmp", "/dev/shm"}

// PolicyFor builds the sessions' policy from the launch spec. It runs in
// init, once, inside the built root: an extra mount's target is a file or
// a directory there, which Landlock's rules tell apart.
func PolicyFor(spec proto.Spec) Policy {
	p := Policy{Writable: append([]string{spec.ProjectDir}, scratch...), ProxyPort: proto.ProxyPort}
	if spec.Home != "" && !spec.HomeReadOnly {
		p.Writable = append(p.Writable, spec.Home)
	}
	for _, m := range spec.Mounts {
		if m.ReadOnly {
			continue
		}
		if fi, err := os.Stat(m.Target); err == nil && !fi.IsDir() {
			p.WritableFiles = append(p.WritableFiles, m.Target)
		} else {
			p.Writable = append(p.Writable, m.Target)
		}
	}
	return p
}
