package protect

// Stubs hold a strict sandbox's missing protected names while it runs
// (internal/child/protect.go makes them); the supervisor removes them.

import (
	"os"
	"path/filepath"
	"strings"
)

// StubsFile, in the sandbox's state dir, lists the stubs the child made
// in the project, one host path a line.
const StubsFile = "protect-stubs"

// GitFileStubs are the contents of the stubs of git's control files in
// .git, which must stay files for git on the host: an empty config, and
// a commondir naming the git dir itself.
var GitFileStubs = map[string]string{"commondir": ".\n", "config": "", "config.worktree": ""}

// RemoveStubs removes the stubs a sandbox's child recorded in stateDir, each
// only while it is still a stub: an empty directory, or a git control
// file with the stub's content. It runs in the supervisor, on the host,
// when the sandbox has ended.
func RemoveStubs(stateDir string) {
	b, err := os.ReadFile(filepath.Join(stateDir, StubsFile))
	if err != nil {
		return
	}
	for _, p := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		fi, err := os.Lstat(p)
		switch {
		case err != nil || !filepath.IsAbs(p):
		case fi.IsDir():
			os.Remove(p) // fails, and keeps it, unless empty
		case fi.Mode().IsRegular() && fi.Size() <= 2:
			if content, ok := GitFileStubs[filepath.Base(p)]; ok {
				if got, err := os.ReadFile(p); err == nil && string(got) == content {
					os.Remove(p)
				}
			}
		}
	}
}
