package front

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/devbox-dev/devbox/hint"
	"github.com/devbox-dev/devbox/internal/config"
	"github.com/devbox-dev/devbox/internal/sandbox"
	"github.com/devbox-dev/devbox/internal/trace"
)

// ExitDevbox is devbox's own failure status, as Podman uses it.
const ExitDevbox = 125

// App holds what commands share; tests build a fresh tree with their own.
type App struct {
	Stdout, Stderr io.Writer
	// handoff, in the front binary, replaces this process with
	// devbox-engine for what the front does not do itself (front.go).
	handoff func() error
	// early is set once prestart has started the early supervisor.
	early bool
}

// UsageError marks a bad command line.
type UsageError struct{ Err error }

func (e UsageError) Error() string { return e.Err.Error() }

// Finish reports a command's error, prints the trace if asked, and returns
// the exit status.
func (a *App) Finish(err error) int {
	code := a.Report(err)
	if trace.Requested() {
		trace.Format(a.Stderr, trace.Take())
	}
	return code
}

// Report prints err once and maps it to an exit status: the session's own,
// 126/127 for a command that cannot run, 125 for devbox's own failures.
func (a *App) Report(err error) int {
	if err == nil {
		return 0
	}
	var exit *sandbox.ExitError
	if errors.As(err, &exit) {
		if exit.Msg != "" {
			fmt.Fprintln(a.Stderr, exit.Msg)
		}
		return exit.Code
	}
	fmt.Fprintf(a.Stderr, "Error: %v\n", err)
	if fix := hint.Of(err); fix != "" {
		fmt.Fprintf(a.Stderr, "Hint: %s\n", fix)
	}
	var ue UsageError
	var ce *config.Error
	if errors.As(err, &ue) || isCobraUsage(err) || (errors.As(err, &ce) && ce.Flag != "") {
		fmt.Fprintln(a.Stderr, "Run 'devbox --help' for usage.")
	}
	return ExitDevbox
}

// isCobraUsage recognises cobra's own argument errors.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "accepts ", "requires at least", "unknown flag", "unknown shorthand"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}
