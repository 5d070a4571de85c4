package front

// The front binary's part (cmd/devbox): which command lines it runs
// itself, and the hand-off to devbox-engine for the rest.

import (
	"errors"
	"os"

	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/sandbox"
	"github.com/devbox-dev/devbox/internal/session"
)

// Handles reports whether the front binary may run args itself: a `run`
// or `enter`. Help (its text lists every command) goes to devbox-engine,
// and so does any command line with a global flag first.
func Handles(args []string) bool {
	if len(args) == 0 || (args[0] != "run" && args[0] != "enter") {
		return false
	}
	for _, a := range args[1:] {
		switch a {
		case "--":
			return true
		case "--help", "-h":
			return false
		}
	}
	return true
}

// Execute runs a command line Handles accepted; handoff execs
// devbox-engine with the same arguments when it needs what only the full
// binary links: the image store, to start an image sandbox, and cobra, for
// a command line the front does not parse as cobra would (Parse).
func Execute(args []string, handoff func() error) int {
	a := &App{Stdout: os.Stdout, Stderr: os.Stderr, handoff: handoff}
	if session.ThrowawayRun(args) {
		// First of all: the early supervisor's exec and runtime start
		// overlap everything below, the flags' parse too.
		a.prestart()
		defer sandbox.CancelPrestart() // one that no start took
	}
	// Beside the config phase: a session forwards them (sandbox/signals.go).
	session.WatchSignals()
	if argv, ok := plainArgs(args); ok {
		// No flag to parse: the front runs it without registering the
		// flags (their registration and parse were a tenth of a join's
		// client time), with every flag at its default.
		f := defaultSandboxFlags()
		if args[0] == "enter" {
			return a.Finish(a.EnterCommand(nil, &f, argv))
		}
		return a.Finish(a.RunCommand(nil, &RunFlags{SandboxFlags: f}, argv))
	}
	fl, f, argv, ok := parse(args)
	if !ok {
		return ReportHandoff(a.handoff()) // an early supervisor dropped first
	}
	if args[0] == "enter" {
		return a.Finish(a.EnterCommand(fl, &f.SandboxFlags, argv))
	}
	return a.Finish(a.RunCommand(fl, f, argv))
}

// plainArgs returns CMD [ARG...] of a command line without flags: "run --
// CMD [ARG...]", "enter", or "enter -- [CMD [ARG...]]" (argv empty for the
// shell).
func plainArgs(args []string) (argv []string, ok bool) {
	switch {
	case len(args) >= 3 && args[0] == "run" && args[1] == "--":
		return args[2:], true
	case len(args) == 1 && args[0] == "enter":
		return []string{}, true
	case len(args) >= 2 && args[0] == "enter" && args[1] == "--":
		return args[2:], true
	}
	return nil, false
}

// ReportHandoff reports a failed hand-off as devbox's own failure.
func ReportHandoff(err error) int {
	return (&App{Stdout: os.Stdout, Stderr: os.Stderr}).Report(err)
}

// frontServe, in the front binary, hands an image sandbox's command to
// devbox-engine unless it joins one that runs and whose state records its
// image (the session's environment comes from it), or starts one whose
// image the resolution caches hold: a lookup in the image store, or a
// pull, needs devbox-engine. A host-view sandbox the front starts or joins
// itself (its supervisor is devbox-supervisor, an image sandbox's
// devbox-engine, whoever starts it). Elsewhere it does nothing.
func (a *App) frontServe(opts *sandbox.Options) error {
	if a.handoff == nil || opts.Config.Image == "" {
		return nil
	}
	if !opts.Ephemeral && sandbox.IsRunning(opts.Name) {
		if im, ok := sandbox.RunningImage(opts.Name); ok {
			opts.Image = im
			opts.JoinOnly = true
			return nil
		}
	}
	if im, ok := sandbox.CachedImage(*opts); ok {
		opts.Image = im
		return nil
	}
	return a.handoff()
}

// run is sandbox.Run, with the front's hand-off when an image sandbox
// stopped between frontServe's check and the join.
func (a *App) run(opts sandbox.Options, req func() proto.Spawn, discard bool) error {
	err := sandbox.Run(opts, req, discard)
	if a.handoff != nil && errors.Is(err, sandbox.ErrNotRunning) {
		return a.handoff()
	}
	return err
}
