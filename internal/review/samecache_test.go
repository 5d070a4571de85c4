package review

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// A verdict holds while both files stay as they were, and an edit that
// keeps the size and mtime (touch -r) is still compared: its ctime moved.
func TestSameCacheVerdicts(t *testing.T) {
	f := newFixture(t)
	f.file(f.project, "a", "aaaa", 0o644)
	f.file(f.upper, "a", "aaaa", 0o644)
	f.file(f.project, "b", "bbbb", 0o644)
	f.file(f.upper, "b", "bbbb", 0o644)
	run := func(c *sameCache) []Change {
		t.Helper()
		cs, err := changesSeen(f.project, f.upper, c)
		if err != nil {
			t.Fatal(err)
		}
		return cs
	}
	longAgo := time.Now().Add(time.Hour).UnixNano() // every ctime counts as old
	first := &sameCache{before: longAgo, now: map[string]samePair{}}
	if cs := run(first); len(cs) != 0 || first.reads.Load() != 2 || len(first.now) != 2 {
		t.Fatalf("first diff: %v, %d reads, %d verdicts", cs, first.reads.Load(), len(first.now))
	}
	second := &sameCache{before: longAgo, old: first.now, now: map[string]samePair{}}
	if cs := run(second); len(cs) != 0 || second.reads.Load() != 0 {
		t.Fatalf("second diff: %v, %d reads, want none", cs, second.reads.Load())
	}
	// The sandbox rewrites b with other bytes of the same size and puts its
	// mtime back.
	st, err := os.Stat(filepath.Join(f.upper, "b"))
	if err != nil {
		t.Fatal(err)
	}
	f.file(f.upper, "b", "BBBB", 0o644)
	if err := os.Chtimes(filepath.Join(f.upper, "b"), st.ModTime(), st.ModTime()); err != nil {
		t.Fatal(err)
	}
	third := &sameCache{before: longAgo, old: second.now, now: map[string]samePair{}}
	cs := run(third)
	if len(cs) != 1 || cs[0].Path != "b" || cs[0].Kind != Modified || third.reads.Load() != 1 {
		t.Fatalf("after an edit with the mtime put back: %v, %d reads", cs, third.reads.Load())
	}
	if _, ok := third.now["b"]; ok {
		t.Errorf("a verdict was kept for the changed file")
	}
}

// Files changed within the margin before the diff keep no verdict.
func TestSameCacheKeepsNoFreshVerdict(t *testing.T) {
	f := newFixture(t)
	f.file(f.project, "a", "aaaa", 0o644)
	f.file(f.upper, "a", "aaaa", 0o644)
	l := Layer{Dir: t.TempDir()}
	c := l.loadSame()
	if _, err := changesSeen(f.project, f.upper, c); err != nil {
		t.Fatal(err)
	}
	if len(c.now) != 0 {
		t.Errorf("verdicts for files written just now: %v", c.now)
	}
}

func TestSameCacheFileRoundTrip(t *testing.T) {
	l := Layer{Dir: t.TempDir()}
	m := map[string]samePair{
		"a":       {Upper: fileID{Ino: 1, Size: 2, Mtime: 3, Ctime: 4}, Real: fileID{Ino: 5, Size: 6, Mtime: -7, Ctime: 8}},
		"d/ü b/c": {Upper: fileID{Ino: 1 << 63, Size: 0, Mtime: 1, Ctime: 2}},
	}
	l.saveSame(&sameCache{now: m})
	if got := l.loadSame().old; !reflect.DeepEqual(got, m) {
		t.Errorf("read back %v, want %v", got, m)
	}
	os.WriteFile(l.sameFile(), []byte("not a cache"), 0o600)
	if got := l.loadSame().old; len(got) != 0 {
		t.Errorf("a malformed file gave verdicts: %v", got)
	}
}

func FuzzDecodeSame(f *testing.F) {
	f.Add(encodeSame(map[string]samePair{"a/b": {Upper: fileID{Ino: 9}}}))
	f.Add([]byte(sameMagic + "\x05ab"))
	f.Add([]byte(sameMagic + "\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeSame(b)
		if err != nil {
			return
		}
		again, err := decodeSame(encodeSame(m))
		if err != nil || !reflect.DeepEqual(again, m) {
			t.Fatalf("round trip of %v: %v, %v", m, again, err)
		}
	})
}
