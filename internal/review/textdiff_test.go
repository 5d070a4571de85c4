package review

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// lcs is the textbook dynamic program, to check that the edit script is
// a shortest one.
func lcs(a, b []string) int {
	dp := make([][]int, len(a)+1)
	for i := range dp {
		dp[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				dp[i][j] = dp[i+1][j+1] + 1
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	return dp[0][0]
}

// apply replays an edit script and checks it turns a into b.
func replay(t *testing.T, a, b []string, ops []op) {
	t.Helper()
	var got []string
	ai := 0
	for _, o := range ops {
		switch o.kind {
		case ' ':
			if a[o.a] != b[o.b] || o.a != ai {
				t.Fatalf("kept line %d/%d differs or out of order", o.a, o.b)
			}
			got = append(got, a[o.a])
			ai++
		case '-':
			if o.a != ai {
				t.Fatalf("deleted line %d out of order (at %d)", o.a, ai)
			}
			ai++
		case '+':
			got = append(got, b[o.b])
		}
	}
	if ai != len(a) || strings.Join(got, "") != strings.Join(b, "") {
		t.Fatalf("script turns %q into %q, want %q", a, got, b)
	}
}

func TestEditScriptShortest(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	alphabet := []string{"a\n", "b\n", "c\n", "d\n"}
	gen := func() []string {
		out := make([]string, r.Intn(12))
		for i := range out {
			out[i] = alphabet[r.Intn(len(alphabet))]
		}
		return out
	}
	for i := 0; i < 2000; i++ {
		a, b := gen(), gen()
		ops := editScript(a, b)
		replay(t, a, b, ops)
		edits := 0
		for _, o := range ops {
			if o.kind != ' ' {
				edits++
			}
		}
		if want := len(a) + len(b) - 2*lcs(a, b); edits != want {
			t.Fatalf("%q -> %q: %d edits, shortest is %d", a, b, edits, want)
		}
	}
}

func TestUnified(t *testing.T) {
	tests := []struct {
		name, a, b, want string
	}{
		{"one line changed", "1\n2\n3\n", "1\nX\n3\n", "@@ -1,3 +1,3 @@\n 1\n-2\n+X\n 3\n"},
		{"added to empty", "", "new\n", "@@ -0,0 +1 @@\n+new\n"},
		{"all deleted", "a\nb\n", "", "@@ -1,2 +0,0 @@\n-a\n-b\n"},
		{"no newline at end", "a\n", "a", "@@ -1 +1 @@\n-a\n+a\n\\ No newline at end of file\n"},
		{"two hunks", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n", "X\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\nY\n",
			"@@ -1,4 +1,4 @@\n-1\n+X\n 2\n 3\n 4\n@@ -9,4 +9,4 @@\n 9\n 10\n 11\n-12\n+Y\n"},
		{"same", "a\n", "a\n", ""},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		writeUnified(&b, []byte(tt.a), []byte(tt.b))
		if b.String() != tt.want {
			t.Errorf("%s: got\n%s\nwant\n%s", tt.name, b.String(), tt.want)
		}
	}
}

// Two unrelated large files stay cheap: beyond maxEdit the diff is a
// whole replacement, still a correct script.
func TestEditScriptBound(t *testing.T) {
	var a, b []string
	for i := 0; i < 3000; i++ {
		a = append(a, fmt.Sprintf("a%d\n", i))
		b = append(b, fmt.Sprintf("b%d\n", i))
	}
	replay(t, a, b, editScript(a, b))
}

func FuzzUnified(f *testing.F) {
	f.Add([]byte("a\nb\n"), []byte("a\nc\n"))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		la, _ := splitLines(a)
		lb, _ := splitLines(b)
		replay(t, la, lb, editScript(la, lb))
		var out bytes.Buffer
		writeUnified(&out, a, b)
	})
}

// BenchmarkChangesUnchanged is devbox diff's work on a project of 10,000
// files the sandbox has not changed: nothing in the upper layer.
func BenchmarkChangesUnchanged(b *testing.B) {
	proj, upper := b.TempDir(), b.TempDir()
	makeFiles(b, proj, 10000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if cs, err := Changes(proj, upper); err != nil || len(cs) != 0 {
			b.Fatal(cs, err)
		}
	}
}

// BenchmarkChangesCopiedUp is the worst case of unchanged files: all
// 10,000 copied up (opened for writing, or touched) and identical, so
// each is compared byte for byte with the real one.
func BenchmarkChangesCopiedUp(b *testing.B) {
	proj, upper := b.TempDir(), b.TempDir()
	makeFiles(b, proj, 10000)
	makeFiles(b, upper, 10000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if cs, err := Changes(proj, upper); err != nil || len(cs) != 0 {
			b.Fatal(cs, err)
		}
	}
}

func makeFiles(b *testing.B, root string, n int) {
	for i := 0; i < n; i++ {
		p := filepath.Join(root, fmt.Sprintf("d%02d", i%100), fmt.Sprintf("f%d.go", i))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(fmt.Sprintf("package p\n\n// file %d\n", i)), 0o644); err != nil {
			b.Fatal(err)
		}
	}
}
