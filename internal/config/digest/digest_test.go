package digest

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/devbox-dev/devbox/internal/state"
)

// TestBuildIDIn: the identity of the two binaries that parse devbox.toml,
// each as fmt would print its stat, "absent" for one that is not there.
func TestBuildIDIn(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, state.FrontName), []byte("front"), 0o755)
	want := ""
	for _, name := range []string{state.FrontName, state.EngineName} {
		p := filepath.Join(dir, name)
		var st syscall.Stat_t
		if syscall.Stat(p, &st) != nil {
			want += p + " absent\n"
			continue
		}
		want += fmt.Sprintf("%s %d:%d %d %d.%d\n", p, st.Dev, st.Ino, st.Size, st.Mtim.Sec, st.Mtim.Nsec)
	}
	if got := BuildIDIn(dir); got != want {
		t.Errorf("buildIDIn = %q, want %q", got, want)
	}
}
