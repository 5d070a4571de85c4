// Package hint is devbox's error that carries a fix: a known problem
// together with a ready-to-run command or short instruction.
//
// It runs wherever an error is made, on every side of every fork: the
// libraries (storage, slirpnet, userns) and internal/preflight wrap their
// errors with Wrap; the client prints Of(err) on a "Hint:" line, and the
// supervisor and child send it in proto.Error's Hint field.
package hint

import "errors"

// Error is a known problem with a ready-to-run fix.
type Error struct {
	Err  error
	Hint string // a command or short instruction; may span lines
}

// Error returns the underlying error's message only: callers print the hint
// on its own line ("Hint: ...").
func (e *Error) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Wrap wraps err into an *Error carrying fix. A nil err stays nil.
func Wrap(err error, fix string) error {
	if err == nil {
		return nil
	}
	return &Error{Err: err, Hint: fix}
}

// Of returns the hint of the first *Error in err's chain, or "".
func Of(err error) string {
	var h *Error
	if errors.As(err, &h) {
		return h.Hint
	}
	return ""
}
