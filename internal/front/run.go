package front

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/sandbox"
	"github.com/devbox-dev/devbox/shellinit"
	"github.com/spf13/pflag"
)

// RunFlags are run's flags: the sandbox's, and its own.
type RunFlags struct {
	SandboxFlags
	tty, rm bool
}

// RegisterRun adds run's flags to fl, bound to f: the sandbox's, --user,
// and run's own.
func (f *RunFlags) RegisterRun(fl *pflag.FlagSet) {
	f.register(fl)
	f.registerUser(fl)
	fl.BoolVarP(&f.tty, "tty", "t", false, "allocate a terminal inside the sandbox")
	fl.BoolVar(&f.rm, "rm", false, "use a throwaway sandbox, destroyed afterwards")
	fl.SetInterspersed(false)
}

// RunCommand runs args (at least one) as run's flags f say; fl holds the
// flags the user set (config overrides), nil for the front's plain run.
func (a *App) RunCommand(fl *pflag.FlagSet, f *RunFlags, args []string) error {
	f.throwaway = f.rm
	switch {
	case f.rm && a.handoff != nil:
		a.prestart()                   // unless Execute did (session.ThrowawayRun)
		defer sandbox.CancelPrestart() // a start that failed before taking it
	case !f.rm && a.early:
		sandbox.CancelPrestart() // not a throwaway start's to take
	}
	opts, err := f.projectOptions(fl, a)
	if err != nil {
		return err
	}
	tweak := func(req *proto.Spawn) { req.TTY = f.tty }
	var req func() proto.Spawn
	if opts.Config.Image == "" {
		// A host-view session needs nothing that the rest of the options
		// changes (the image, a strict config's network): its request is
		// built from here on, beside the trust check, not after it.
		req = sandbox.SessionLater(opts, args, tweak)
	}
	if opts, err = f.completeOptions(opts, a); err != nil {
		return err
	}
	if req == nil {
		req = sandbox.SessionLater(opts, args, tweak)
	}
	err = a.run(opts, req, f.rm)
	if installFailed(err, opts.Image == nil, args[0]) {
		fmt.Fprintln(a.Stderr, shellinit.InstallHint)
	}
	return err
}

// prestart starts, in the front binary, the supervisor of the throwaway
// sandbox that run --rm always starts, before its config is loaded
// (sandbox.PrestartSupervisor); the hand-off to devbox-engine, for an
// image sandbox, drops it first.
func (a *App) prestart() {
	if a.early {
		return
	}
	a.early = true
	sandbox.PrestartSupervisor()
	handoff := a.handoff
	a.handoff = func() error {
		sandbox.CancelPrestart()
		return handoff()
	}
}

// installFailed reports whether a host-view run of a package installer
// (apt, apt-get, dpkg, pip) failed on its own, which the host's read-only
// /usr explains: devbox run then says so, as an interactive shell's
// wrappers do.
func installFailed(err error, hostView bool, cmd string) bool {
	var ee *sandbox.ExitError
	if !hostView || !errors.As(err, &ee) || ee.Code == 0 || ee.Code >= 125 {
		return false
	}
	name := filepath.Base(cmd)
	return name == "apt-get" || slices.Contains(shellinit.InstallTools, name)
}
