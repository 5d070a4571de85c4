package supervisor

// Supervisor side: a failed start removes the sandbox's runtime dir, and its
// supervisor.log with it, so errors that point at the log name a copy kept
// in the data dir instead.

import (
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/devbox-dev/devbox/internal/state"
)

// keptLogs is how many failed-start logs the data dir keeps (the newest).
const keptLogs = 10

// keptLogPath is where the log of sandbox name's failed start is kept:
// $XDG_DATA_HOME/devbox/logs/NAME.log. It outlives the runtime dir.
func keptLogPath(name string) string {
	data, err := state.DataRoot()
	if err != nil {
		return filepath.Join(os.TempDir(), "devbox-"+name+".log")
	}
	return filepath.Join(data, "logs", name+".log")
}

// keepLog copies the supervisor log to keptLogPath before the runtime dir
// goes, and prunes the oldest kept logs: --rm names are unique, so failing
// throwaway runs would otherwise pile them up.
func (s *supervisor) keepLog() {
	dst := keptLogPath(s.spec.Name)
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return
	}
	src, err := os.Open(filepath.Join(s.dir(), state.LogFile))
	if err != nil {
		return
	}
	defer src.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return
	}
	io.Copy(out, src)
	out.Close()
	pruneLogs(filepath.Dir(dst), keptLogs)
}

// pruneLogs removes all but the newest keep files of dir.
func pruneLogs(dir string, keep int) {
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) <= keep {
		return
	}
	type aged struct {
		name string
		mod  int64
	}
	var files []aged
	for _, e := range ents {
		if fi, err := e.Info(); err == nil && fi.Mode().IsRegular() {
			files = append(files, aged{e.Name(), fi.ModTime().UnixNano()})
		}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].mod > files[j].mod })
	for i := keep; i < len(files); i++ {
		os.Remove(filepath.Join(dir, files[i].name))
	}
}
