package supervisor

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestPruneLogsKeepsNewest(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	for i := 0; i < 5; i++ {
		p := filepath.Join(dir, fmt.Sprintf("s%d.log", i))
		os.WriteFile(p, nil, 0o600)
		mt := now.Add(time.Duration(i) * time.Minute)
		os.Chtimes(p, mt, mt)
	}
	pruneLogs(dir, 2)
	ents, _ := os.ReadDir(dir)
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if fmt.Sprint(got) != "[s3.log s4.log]" {
		t.Errorf("after pruning to 2: %v, want [s3.log s4.log]", got)
	}
}

func TestKeptLogPathOutlivesRuntimeDir(t *testing.T) {
	data := t.TempDir()
	t.Setenv("XDG_DATA_HOME", data)
	want := filepath.Join(data, "devbox", "logs", "box-1.log")
	if got := keptLogPath("box-1"); got != want {
		t.Errorf("keptLogPath = %q, want %q", got, want)
	}
}
