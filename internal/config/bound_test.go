package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

func TestCheckBounds(t *testing.T) {
	deep := func(open, close string, n int) string {
		return "x = " + strings.Repeat(open, n) + "1" + strings.Repeat(close, n) + "\n"
	}
	tests := []struct {
		name string
		text string
		line int // 0: accepted
	}{
		{"plain", "network = \"none\"\n[env]\nA = \"1\"\n[limits]\nmemory = \"1g\"\n", 0},
		{"mounts as tables", "[[mounts]]\nsource = \"/a\"\ntarget = \"/b\"\n[[mounts]]\nsource = \"/c\"\ntarget = \"/d\"\n", 0},
		{"mounts inline", "mounts = [ { source = \"/a\", target = \"/b\", read_only = true } ]\n", 0},
		{"dotted keys", "limits.memory = \"1g\"\nenv.A.B.C = \"x\"\n", 0},
		{"strings hide brackets", "setup = [\"echo [[[[[[[[[[[[{{{{{{{{{{ a.b.c.d.e.f.g.h.i.j\"]\n", 0},
		{"multi-line strings", "setup = [\"\"\"\n[[[[[[[[[[\n\"\"\", '''\n{{{{{{{{{{{\n''']\nnetwork = \"none\"\n", 0},
		{"comments hide brackets", "# [[[[[[[[[[[[[[[[ a.b.c.d.e.f.g.h.i\nnetwork = \"none\"\n", 0},
		{"eight levels", deep("[", "]", 8), 0},
		{"nine levels of arrays", deep("[", "]", 9), 1},
		{"inline tables", "x = " + strings.Repeat("{a = ", 9) + "1" + strings.Repeat("}", 9) + "\n", 1},
		{"dotted key", "network = \"none\"\n" + strings.Repeat("a.", 30000) + "a = 1\n", 2},
		{"quoted dotted key", "\"a\".\"b\".'c'.d.e.f.g.h.i = 1\n", 1},
		{"table header", "\n[" + strings.Repeat("a.", 9) + "a]\n", 2},
		{"array of tables header", "[[a.b.c.d.e.f.g.h]]\n", 1},
		{"key below a deep header", "[a.b.c.d.e.f.g]\nh.i = 1\n", 2},
		{"line after a multi-line string", "setup = [\"\"\"\n\n\n\"\"\"]\nx = " + strings.Repeat("[", 9) + "\n", 5},
		{"many keys", strings.Repeat("a = 1\n", MaxKeys) + "b = 1\n", -2},
		{"many headers", strings.Repeat("[a]\n", MaxKeys+1), -2},
		{"too large", "# " + strings.Repeat("x", MaxFileSize) + "\n", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkBounds([]byte(tt.text), "devbox.toml")
			if tt.line == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("accepted, want an error")
			}
			if tt.line > 0 && (ce.Line != tt.line || !strings.Contains(ce.Msg, "nested deeper than 8 levels")) {
				t.Errorf("error %v, want line %d", err, tt.line)
			}
			if tt.line == -2 && (ce.Line != MaxKeys+1 || !strings.Contains(ce.Msg, "more than 4096 keys")) {
				t.Errorf("error %v, want the key limit at line %d", err, MaxKeys+1)
			}
			if tt.line == -1 && !strings.Contains(ce.Msg, "over the limit of 1 MiB") {
				t.Errorf("error %v, want the size limit", err)
			}
		})
	}
}

// TestCheckBounds_Templates: every devbox.toml devbox init writes is
// within bounds.
func TestCheckBounds_Templates(t *testing.T) {
	files, _ := filepath.Glob("testdata/init/*.golden")
	if len(files) == 0 {
		t.Fatal("no templates in testdata/init")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := checkBounds(b, f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// valueDepth is how many containers deep v nests.
func valueDepth(v any) int {
	d := 0
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			d = max(d, 1+valueDepth(e))
		}
	case []map[string]any:
		for _, e := range x {
			d = max(d, 2+valueDepth(e)-1)
		}
	case []any:
		for _, e := range x {
			d = max(d, 1+valueDepth(e))
		}
	}
	return d
}

// FuzzCheckBounds: the scanner never under-measures. Whatever it accepts
// and the TOML library decodes has no key of more than MaxDepth parts and
// no value nested more than MaxDepth containers deep.
func FuzzCheckBounds(f *testing.F) {
	for _, s := range []string{
		"network = \"none\"\n[env]\nA = \"1\"\n",
		"[[mounts]]\nsource = \"/a\"\ntarget = \"/b\"\n",
		"a.b.c = 1\n[x.y]\nz = [[1], {q = 2}]\n",
		"s = \"\"\"\n[[\n\"\"\"\nt = '''\n{{'''\n",
		"x = [\n  [1, 2], # c [[\n  [3],\n]\n",
		"x = {a = {b = {c = 1}}}\n",
		"\"a.b\".c = 1\n",
		"[[a]]\n[[a.b]]\n[[a.b.c]]\nd = 1\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 4096 {
			return
		}
		if checkBounds(data, "devbox.toml") != nil {
			return
		}
		var raw map[string]any
		md, err := toml.Decode(string(data), &raw)
		if err != nil {
			return
		}
		for _, k := range md.Keys() {
			if len(k) > MaxDepth {
				t.Fatalf("accepted a key of %d parts: %q", len(k), bytes.TrimSpace(data))
			}
		}
		if d := valueDepth(raw); d > MaxDepth {
			t.Fatalf("accepted a value %d deep: %q", d, bytes.TrimSpace(data))
		}
	})
}
