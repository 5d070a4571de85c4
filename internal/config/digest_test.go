package config

import (
	"os"
	"path/filepath"
	"testing"
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
