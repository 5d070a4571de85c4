package config

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/devbox-dev/devbox/internal/config/digest"
)

// TestLoadFileDigest: the digest changes with every input the config
// depends on (bytes, presence, project, home) and with nothing
// else.
func TestLoadFileDigest(t *testing.T) {
	proj := t.TempDir()
	env := map[string]string{"TOKEN": "a"}
	ctx := Context{Project: proj, Home: "/home/u", LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	load := func() string {
		t.Helper()
		_, d, err := LoadFileDigest(FileName, ctx)
		if err != nil || d == "" {
			t.Fatalf("LoadFileDigest: %q, %v", d, err)
		}
		return d
	}
	absent := load()
	if load() != absent {
		t.Fatal("two loads of nothing differ")
	}
	file := filepath.Join(proj, FileName)
	os.WriteFile(file, nil, 0o644)
	empty := load()
	os.WriteFile(file, []byte("gui = true\n"), 0o644)
	gui := load()
	ctx.Home = "/home/v"
	otherHome := load()
	seen := map[string]string{}
	for name, d := range map[string]string{"absent": absent, "empty": empty, "gui": gui, "other home": otherHome} {
		if prev, dup := seen[d]; dup {
			t.Errorf("%s and %s have one digest", prev, name)
		}
		seen[d] = name
	}
}

// TestDigestStable: a digest is what the format of digest 1 gives, as fmt
// wrote it before (a digest that changed would cost every project one slow
// trust check), for every input and odd strings.
func TestDigestStable(t *testing.T) {
	for _, c := range []struct {
		data    []byte
		project string
		home    string
		lookups map[string]string
	}{
		{nil, "/p", "/home/u", nil},
		{[]byte{}, "/p q\"\\\n\xff", "", nil},
		{[]byte("image = \"${X}\"\n"), "/p", "/h", map[string]string{"X": "true:\"a\\tb\"", "A\u2028": "false:\"\""}},
	} {
		d := digester{lookups: c.lookups}
		ctx := Context{Project: c.project, Home: c.home}
		h := sha256.New()
		fmt.Fprintf(h, "devbox config digest 1\nbuild %s\nproject %q\nhome %q\n", digest.BuildID(), ctx.Project, ctx.Home)
		if c.data == nil {
			fmt.Fprintf(h, "file absent\n")
		} else {
			fmt.Fprintf(h, "file %d\n", len(c.data))
			h.Write(c.data)
		}
		keys := slices.Sorted(maps.Keys(c.lookups))
		for _, k := range keys {
			fmt.Fprintf(h, "\nenv %q %s", k, c.lookups[k])
		}
		if got, want := d.sum(c.data, ctx), hex.EncodeToString(h.Sum(nil)); got != want {
			t.Errorf("sum(%q, %+v) = %s, want %s", c.data, ctx, got, want)
		}
	}
	for _, v := range []string{"", "a\"b", "\xff\u2028"} {
		for _, ok := range []bool{true, false} {
			var d digester
			d.wrap(Context{LookupEnv: func(string) (string, bool) { return v, ok }}).LookupEnv("K")
			if want := fmt.Sprintf("%t:%q", ok, v); d.lookups["K"] != want {
				t.Errorf("lookup %q, %v recorded %q, want %q", v, ok, d.lookups["K"], want)
			}
		}
	}
}
