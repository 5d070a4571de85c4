package proto

import (
	"os"

	"github.com/devbox-dev/devbox/internal/wire"
)

// Environment variables private to devbox's own processes: the supervisor
// starts the child (devbox-init) with them, and the child reads them.
const (
	// EnvSupervise makes a devbox binary the supervisor; the client sends
	// it the launch spec (Spec, JSON) on a pipe (supervisor.FDSpec).
	EnvSupervise = wire.EnvSupervise
	EnvChild     = "_DEVBOX_CHILD"
	EnvExe       = "_DEVBOX_EXE" // the devbox binary that created the namespaces
)

// SuperviseOwnLog and IdleRuntime are wire's (see there).
const (
	SuperviseOwnLog = wire.SuperviseOwnLog
	IdleRuntime     = wire.IdleRuntime
)

// IdleEnv is wire's (see there).
func IdleEnv() []string { return wire.IdleEnv() }

// ChildEnv returns the environment for starting the child,
// plus extra (the trace switch). It names devbox's own binary, which the
// child's capability check compares with the host's, and the user's timer
// slack, which init's sessions get (internal/timerslack).
func ChildEnv(extra ...string) []string {
	exe, _ := os.Executable()
	env := append([]string{EnvChild + "=1", EnvExe + "=" + exe}, IdleEnv()...)
	return append(env, extra...)
}
