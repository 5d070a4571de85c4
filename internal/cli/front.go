package cli

// The front binary's part (cmd/devbox): which command lines it runs
// itself, and the hand-off to devbox-engine for the rest.

import (
	"errors"
	"os"

	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/sandbox"
)

// FrontHandles reports whether the front binary may run args itself: a
// `run` or `enter` that can be a join. Help (its text lists every
// command) and --rm (always a new sandbox) go to devbox-engine, and so
// does any command line with a global flag first.
func FrontHandles(args []string) bool {
	if len(args) == 0 || (args[0] != "run" && args[0] != "enter") {
		return false
	}
	for _, a := range args[1:] {
		switch a {
		case "--":
			return true
		case "--help", "-h", "--rm", "--rm=true":
			return false
		}
	}
	return true
}

// ExecuteFront runs a command line FrontHandles accepted; handoff execs
// devbox-engine with the same arguments when the sandbox is not running,
// or needs what only the full binary links (an image).
func ExecuteFront(args []string, handoff func() error) int {
	return execute(&App{Stdout: os.Stdout, Stderr: os.Stderr, handoff: handoff}, args, nil)
}

// ReportHandoff reports a failed hand-off as devbox's own failure.
func ReportHandoff(err error) int {
	return (&App{Stdout: os.Stdout, Stderr: os.Stderr}).report(err)
}

// frontJoin, in the front binary, hands the command to devbox-engine
// unless it joins a running sandbox: not a throwaway one (always new),
// and for an image sandbox one whose state records its image, which the
// session's environment comes from. Elsewhere it does nothing.
func (a *App) frontJoin(opts *sandbox.Options) error {
	if a.handoff == nil {
		return nil
	}
	if opts.Ephemeral || !sandbox.IsRunning(opts.Name) {
		return a.handoff()
	}
	if opts.Config.Image != "" {
		im, ok := sandbox.RunningImage(opts.Name)
		if !ok {
			return a.handoff()
		}
		opts.Image = im
	}
	opts.JoinOnly = true
	return nil
}

// run is sandbox.Run, with the front's hand-off when the sandbox stopped
// between frontJoin's check and the join.
func (a *App) run(opts sandbox.Options, req proto.Spawn, discard bool) error {
	err := sandbox.Run(opts, req, discard)
	if a.handoff != nil && errors.Is(err, sandbox.ErrNotRunning) {
		return a.handoff()
	}
	return err
}
