package config

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the output:\n%s", path, got)
	}
}

// A written devbox.toml must always be valid TOML, and must parse as a
// devbox config where it names no host paths.
func checkTOML(t *testing.T, text string) {
	t.Helper()
	var v map[string]any
	if _, err := toml.Decode(text, &v); err != nil {
		t.Fatalf("written file is not TOML: %v\n%s", err, text)
	}
}

func TestInitFileGolden(t *testing.T) {
	for _, lang := range []string{"", "go.mod", "package.json", "pyproject.toml", "Cargo.toml"} {
		name := "plain"
		if lang != "" {
			name = strings.TrimSuffix(strings.ReplaceAll(lang, ".", "-"), "-toml")
		}
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "myproject")
			os.Mkdir(dir, 0o755)
			if lang != "" {
				os.WriteFile(filepath.Join(dir, lang), nil, 0o644)
			}
			got := InitFile(dir, nil, "")
			checkTOML(t, got)
			if _, err := Parse([]byte(got), FileName, Context{Project: dir, Home: dir}); err != nil {
				t.Errorf("init output does not parse: %v", err)
			}
			golden(t, filepath.Join("testdata", "init", name+".golden"), got)
		})
	}
}

func TestImportDevcontainerGolden(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "devcontainer", "*.jsonc"))
	if len(files) == 0 {
		t.Fatal("no testdata")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			im, err := ImportDevcontainer(data)
			if err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(t.TempDir(), "myproject")
			os.Mkdir(dir, 0o755)
			got := InitFile(dir, &im, ".devcontainer/devcontainer.json")
			checkTOML(t, got)
			golden(t, strings.TrimSuffix(f, ".jsonc")+".golden", got)
		})
	}
}

func TestStripJSONC(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"a": 1} // c`, `{"a": 1}     `},
		{`{"a": "x//y", /* c */ "b": [1,2,],}`, `{"a": "x//y",         "b": [1,2 ] }`},
		{"{\"a\": \"q\\\"//\" // c\n}", "{\"a\": \"q\\\"//\"     \n}"},
		{`/* unterminated`, `               `},
		{`"unterminated`, `"unterminated`},
	}
	for _, tt := range tests {
		if got := string(StripJSONC([]byte(tt.in))); got != tt.want {
			t.Errorf("StripJSONC(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzStripJSONC(f *testing.F) {
	f.Add([]byte(`{"a": "b", // c
/* d */ "e": [1,],}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		out := StripJSONC(in)
		if len(out) != len(in) {
			t.Fatalf("length changed: %d -> %d", len(in), len(out))
		}
	})
}
