package session

import (
	"bytes"

	"github.com/devbox-dev/devbox/cgroupv2"
	"github.com/devbox-dev/devbox/internal/wire"
)

// ExitMessage explains an end of a session that the session did not
// choose: the OOM killer (with the limit) or a sandbox that stopped; ""
// for any other end.
func ExitMessage(e wire.Exit) string {
	switch {
	case e.OOMKilled && e.MemoryMax > 0:
		return "devbox: killed: out of memory (limit " + cgroupv2.FormatBytes(e.MemoryMax) + ")"
	case e.OOMKilled:
		return "devbox: killed: out of memory"
	case e.Stopped:
		return "devbox: sandbox stopped"
	}
	return ""
}

// JoinWarns reports whether a running sandbox's state.json (b) may hold
// what a join warns about: a lost network or a single-id map. state.Write
// leaves both keys out while they are zero (omitempty), which is nearly
// always; a key's name found anywhere in the file, even inside a value,
// reports true, and the full client then decodes the file.
func JoinWarns(b []byte) bool {
	return bytes.Contains(b, []byte(`"network_down"`)) || bytes.Contains(b, []byte(`"single_id"`))
}
