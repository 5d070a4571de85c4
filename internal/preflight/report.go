package preflight

import (
	"fmt"
	"io"
	"strings"
)

// Format prints checks as a table for people: one line per check, and for a
// warning or failure its fix below it, indented.
//
//	ok   user namespaces  created one as uid 1000
//	warn network          neither slirp4netns nor pasta in PATH ...
//	     fix: sudo apt-get install slirp4netns passt
func Format(w io.Writer, checks []Check) {
	width := 0
	for _, c := range checks {
		width = max(width, len(c.Name))
	}
	for _, c := range checks {
		fmt.Fprintf(w, "%-5s%-*s  %s\n", c.Status, width, c.Name, c.Detail)
		if c.Status != StatusOK && c.Fix != "" {
			fix := strings.ReplaceAll(strings.TrimRight(c.Fix, "\n"), "\n", "\n          ")
			fmt.Fprintf(w, "     fix: %s\n", fix)
		}
	}
}

// Failed reports whether any check failed: devbox cannot start a sandbox.
func Failed(checks []Check) bool {
	for _, c := range checks {
		if c.Status == StatusFail {
			return true
		}
	}
	return false
}
