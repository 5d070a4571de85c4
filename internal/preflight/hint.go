package preflight

import "errors"

// HintError is a known host problem with a ready-to-run fix.
type HintError struct {
	Err  error
	Hint string // a command or short instruction; may span lines
}

// Error returns the underlying error's message only: callers print the hint
// on its own line ("Hint: ...").
func (e *HintError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *HintError) Unwrap() error { return e.Err }

// Hint wraps err into a *HintError carrying hint. A nil err stays nil.
func Hint(err error, hint string) error {
	if err == nil {
		return nil
	}
	return &HintError{Err: err, Hint: hint}
}

// HintOf returns the hint of the first *HintError in err's chain, or "".
func HintOf(err error) string {
	var h *HintError
	if errors.As(err, &h) {
		return h.Hint
	}
	return ""
}
