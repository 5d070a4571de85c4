package state

import (
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
)

func TestParseStat(t *testing.T) {
	tests := []struct {
		in    string
		state byte
		want  uint64
		ok    bool
	}{
		{"1 (init) S 0 1 1 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 1 0 42 1000 1", 'S', 42, true},
		{"7 (a b) c)) Z 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 99 5 1", 'Z', 99, true},
		{"7 (x) R 1 2", 0, 0, false},
		{"garbage", 0, 0, false},
		{"1 (x) S 0 1 1 0 -1 0 1 2 3 4 5 6 7 8 20 0 1 0 nope 1", 0, 0, false},
	}
	for _, tt := range tests {
		state, got, err := ParseStat([]byte(tt.in))
		if (err == nil) != tt.ok || got != tt.want || state != tt.state {
			t.Errorf("ParseStat(%q) = %c, %d, %v; want %c, %d ok=%v", tt.in, state, got, err, tt.state, tt.want, tt.ok)
		}
	}
	if _, err := StartTime(os.Getpid()); err != nil {
		t.Errorf("StartTime(self): %v", err)
	}
}

func TestRuntimeRootFallbackIsPrivate(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", "")
	t.Setenv("TMPDIR", t.TempDir())
	dir, err := RuntimeRoot()
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("runtime root %s: %v, mode %v; want 0700", dir, err, fi.Mode())
	}
}

func TestStateRoundTrip(t *testing.T) {
	dir := t.TempDir()
	st := State{Name: "x", Project: "/p", Supervisor: os.Getpid(), BootID: BootID()}
	st.SupervisorStart, _ = StartTime(os.Getpid())
	if err := Write(dir, st); err != nil {
		t.Fatal(err)
	}
	got, err := Read(dir)
	if err != nil || got.Name != "x" || !got.Alive() {
		t.Fatalf("Read = %+v, %v; alive=%v", got, err, got.Alive())
	}
	got.SupervisorStart++
	if got.Alive() {
		t.Error("a changed start time still counts as alive")
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".*")); len(m) != 0 {
		t.Errorf("temp files left: %v", m)
	}
}

// TestLockRemovesItsFile pins that a lock leaves no file behind and still
// excludes: many goroutines taking one lock never overlap.
func TestLockRemovesItsFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.lock")
	var held, overlaps atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				unlock, err := Lock(path)
				if err != nil {
					t.Error(err)
					return
				}
				if held.Add(1) != 1 {
					overlaps.Add(1)
				}
				held.Add(-1)
				unlock()
			}
		}()
	}
	wg.Wait()
	if n := overlaps.Load(); n != 0 {
		t.Errorf("%d times two holders had the lock at once", n)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("lock files left behind: %v", ents)
	}
}
