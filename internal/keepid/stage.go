// Package keepid is the first stage of a user = "self" session where the
// sandbox has no /proc of its own (the masked-/proc fallback, which binds
// the outer /proc). It runs inside the sandbox, in the session's first
// process, started by init in a new user namespace without id maps.
//
// Init cannot let the kernel's clone path write the session's maps: it
// writes /proc/PID/uid_map with the pid of the sandbox's PID namespace,
// and the outer /proc numbers processes by the outer one. So the session
// starts as this stage, which tells init its pid in the outer /proc (what
// /proc/self names there), waits until init has written its maps through
// that pid, and then executes the session's program. Once the maps are in,
// the stage's ids are the invoking user's own (init's uid 0 is mapped to
// them), and the exec of a program as a uid other than 0 leaves it no
// capabilities, as in the usual path.
package keepid

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// Argv0 names the stage: init starts its own binary with this argv[0],
// then the session's working directory, the program's path and its argv.
const Argv0 = "devbox-keepid"

// EnvStage marks the stage's environment; the stage removes it before the
// program runs.
const EnvStage = "_DEVBOX_KEEPID=1"

// ExeFD is init's binary in the stage (init executes /proc/self/fd/3) and
// SockFD the stage's end of its socket to init.
const (
	ExeFD  = 3
	SockFD = 4
)

// Ready is what init sends once the maps are written.
const Ready = "mapped"

// IsStage reports whether this process is a keep-id session's first stage.
func IsStage() bool {
	return len(os.Args) > 3 && os.Args[0] == Argv0 && os.Getenv(strings.SplitN(EnvStage, "=", 2)[0]) != ""
}

// Wrap returns the argv and environment with which init starts the stage
// in front of path, argv and env, in working directory dir.
func Wrap(dir, path string, argv, env []string) ([]string, []string) {
	wargv := append([]string{Argv0, dir, path}, argv...)
	return wargv, append(append([]string(nil), env...), EnvStage)
}

// Main runs the stage: it returns only on failure, with 126 (cannot
// execute) after one line on stderr, which is the session's.
func Main() int {
	unix.CloseOnExec(ExeFD)
	unix.CloseOnExec(SockFD)
	dir, path, argv := os.Args[1], os.Args[2], os.Args[3:]
	if err := awaitMaps(); err != nil {
		return fail(err)
	}
	if err := os.Chdir(dir); err != nil {
		return fail(fmt.Errorf("change to %s: %w", dir, err))
	}
	err := unix.Exec(path, argv, withoutStage(os.Environ()))
	return fail(fmt.Errorf("%s: cannot execute: %w", argv[0], err))
}

// awaitMaps sends init this process's pid in the outer /proc and waits
// for init to say that the maps are written.
func awaitMaps() error {
	self, err := os.Readlink("/proc/self")
	if err != nil {
		return fmt.Errorf("read own pid in /proc: %w", err)
	}
	sock := os.NewFile(SockFD, "keepid")
	defer sock.Close()
	if _, err := sock.Write([]byte(self)); err != nil {
		return fmt.Errorf("send pid to init: %w", err)
	}
	b := make([]byte, len(Ready))
	n, err := sock.Read(b)
	if err != nil || string(b[:n]) != Ready {
		return errors.New("init did not map this session's ids (see its error on the client)")
	}
	return nil
}

func fail(err error) int {
	fmt.Fprintf(os.Stderr, "devbox: session as your own user: %v\n", err)
	return 126
}

func withoutStage(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if kv != EnvStage {
			out = append(out, kv)
		}
	}
	return out
}
