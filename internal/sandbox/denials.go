package sandbox

import (
	"io"
	"path/filepath"

	"github.com/devbox-dev/devbox/internal/session"
	"github.com/devbox-dev/devbox/internal/state"
)

// DenialsPath is where the denial log of sandbox name is: with its data,
// or in its runtime dir while a --rm sandbox runs.
func DenialsPath(name string) (string, error) {
	root, err := state.RuntimeRoot()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, name)
	st, err := state.Read(dir)
	ephemeral := err == nil && st.Alive() && st.Ephemeral
	return state.DenialsPath(name, ephemeral, dir)
}

// LogPath is the supervisor log of running sandbox name.
func LogPath(name string) (string, error) {
	root, err := state.RuntimeRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, name, state.LogFile), nil
}

// followDenials starts following the log of a strict sandbox h from its
// current end; nil for other sandboxes.
func followDenials(h *Handle, strict bool, out io.Writer) *session.DenialFollower {
	if !strict || out == nil {
		return nil
	}
	path, err := DenialsPath(h.Name)
	if err != nil {
		return nil
	}
	offset := state.DenialsSize(path)
	if h.launch != nil {
		offset = 0 // a new sandbox's log, which its launch session may have written to already
	}
	return session.FollowDenials(path, offset, out)
}
