package wire

import (
	"fmt"
	"os"

	"github.com/devbox-dev/devbox/internal/timerslack"
	"golang.org/x/sys/unix"
)

// Environment of a supervisor the client starts (internal/proto re-exports
// these).
const (
	// EnvSupervise makes a devbox binary the supervisor; the client sends
	// it the launch spec (JSON) on a pipe.
	EnvSupervise = "_DEVBOX_SUPERVISE"

	// SuperviseOwnLog is EnvSupervise's value for a supervisor started
	// before its sandbox's runtime dir existed (run --rm starts it before
	// it loads the config): its stdout and stderr are /dev/null, and it
	// opens the log in the launch spec's StateDir itself.
	SuperviseOwnLog = "own-log"

	// IdleRuntime is the Go runtime setting of the processes that stay for
	// the sandbox's life, the supervisor and the child that becomes init:
	// one P. They mostly wait in the kernel, and a second P costs each of
	// them about 0.25 MiB of memory that stays (its Ms, their stacks and
	// caches). The supervisor drops it from its environment once its
	// runtime has read it; init's environment reaches no session.
	IdleRuntime = "GOMAXPROCS=1"
)

// Socketpair returns a connected SEQPACKET pair, both close-on-exec.
func Socketpair() (*os.File, *os.File, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("create socketpair: %w", err)
	}
	return os.NewFile(uintptr(fds[0]), "devbox-parent"), os.NewFile(uintptr(fds[1]), "devbox-child"), nil
}

// IdleEnv is what devbox's long-lived processes (the supervisor, the child
// that becomes init, the spawner) get in their environment from whoever
// starts them: IdleRuntime, and the user's timer slack, which they hand on
// to what they start for the user (internal/timerslack).
func IdleEnv() []string { return []string{IdleRuntime, timerslack.Env()} }
