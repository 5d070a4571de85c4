package proto

import "os"

// Environment variables private to devbox's own processes: the supervisor
// starts the child (devbox-init) with them, and the child reads them.
const (
	// EnvSupervise makes a devbox binary the supervisor; the client sends
	// it the launch spec (Spec, JSON) on a pipe (supervisor.FDSpec).
	EnvSupervise = "_DEVBOX_SUPERVISE"
	EnvChild     = "_DEVBOX_CHILD"
	EnvExe       = "_DEVBOX_EXE" // the devbox binary that created the namespaces
)

// SuperviseOwnLog is EnvSupervise's value for a supervisor started before
// its sandbox's runtime dir existed (run --rm starts it before it loads
// the config): its stdout and stderr are /dev/null, and it opens the log
// in the launch spec's StateDir itself.
const SuperviseOwnLog = "own-log"

// IdleRuntime is the Go runtime setting of the processes that stay for
// the sandbox's life, the supervisor and the child that becomes init: one
// P. They mostly wait in the kernel, and a second P costs each of them
// about 0.25 MiB of memory that stays (its Ms, their stacks and caches).
// The supervisor drops it from its environment once its runtime has read
// it; init's environment reaches no session.
const IdleRuntime = "GOMAXPROCS=1"

// ChildEnv returns the environment for starting the child,
// plus extra (the trace switch). It names devbox's own binary, which the
// child's capability check compares with the host's.
func ChildEnv(extra ...string) []string {
	exe, _ := os.Executable()
	return append([]string{EnvChild + "=1", EnvExe + "=" + exe, IdleRuntime}, extra...)
}
