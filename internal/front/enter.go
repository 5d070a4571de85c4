package front

import (
	"errors"
	"fmt"

	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/sandbox"
	"github.com/spf13/pflag"
)

// RegisterEnter adds enter's flags to fl, bound to f: the sandbox's and
// --user.
func (f *SandboxFlags) RegisterEnter(fl *pflag.FlagSet) {
	f.register(fl)
	f.registerUser(fl)
	fl.SetInterspersed(false)
}

// EnterCommand opens a login shell, or runs args, on a terminal as enter's
// flags f say; fl holds the flags the user set (config overrides), nil for
// the front's plain enter.
func (a *App) EnterCommand(fl *pflag.FlagSet, f *SandboxFlags, args []string) error {
	if !sandbox.StdinIsTerminal() {
		return errors.New("enter needs a terminal; use devbox run (devbox run -- CMD, or devbox run -t -- CMD for a terminal inside)")
	}
	opts, err := f.options(fl, a)
	if err != nil {
		return err
	}
	req := sandbox.SessionLater(opts, args, func(req *proto.Spawn) {
		req.TTY = true
		req.Shell, req.Login = len(args) == 0, len(args) == 0
	})
	if len(args) == 0 {
		fmt.Fprintln(a.Stderr, sandbox.Welcome(opts))
	}
	return a.run(opts, req, false)
}
