package protect

// Stubs hold a strict sandbox's missing protected names while it runs
// (internal/child/protect.go makes them); the supervisor removes them when
// the sandbox ends. The child records them in the sandbox's runtime dir,
// and the supervisor keeps a copy of the record in its data dir, which
// outlives a reboot: a supervisor killed with SIGKILL leaves its stubs,
// and the next start, devbox stop, ls or rm removes them from either
// record (the client's removal of the stale runtime dir, or the next
// supervisor before it starts the child).

import (
	"errors"
	"fmt"
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

// RemoveStubs removes the stubs recorded in dir (a runtime or a data
// dir), each only while it is still a stub: an empty directory, or a git
// control file with the stub's content; then the record. It runs on the
// host, in the supervisor when the sandbox has ended, or in the client
// for a sandbox whose supervisor was killed.
func RemoveStubs(dir string) {
	record := filepath.Join(dir, StubsFile)
	b, err := os.ReadFile(record)
	if err != nil {
		return
	}
	removeStubs(b)
	os.Remove(record)
}

// KeepStubs copies the record the child wrote in runtimeDir to dataDir.
func KeepStubs(runtimeDir, dataDir string) error {
	b, err := os.ReadFile(filepath.Join(runtimeDir, StubsFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err == nil {
		err = os.MkdirAll(dataDir, 0o700)
	}
	if err == nil {
		err = os.WriteFile(filepath.Join(dataDir, StubsFile), b, 0o600)
	}
	if err != nil {
		return fmt.Errorf("keep the record of protection stubs: %w", err)
	}
	return nil
}

func removeStubs(record []byte) {
	for _, p := range strings.Split(strings.TrimSpace(string(record)), "\n") {
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
