package sandbox

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/devbox-dev/devbox/internal/config"
	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/storage"
)

func TestProtectMounts(t *testing.T) {
	home := t.TempDir()
	proj := filepath.Join(home, "src", "app")
	os.MkdirAll(filepath.Join(proj, ".devcontainer"), 0o755)
	os.WriteFile(filepath.Join(proj, "devbox.toml"), nil, 0o644)
	ro := func(src, target string) proto.Mount { return proto.Mount{Source: src, Target: target, ReadOnly: true} }
	toml, dc := filepath.Join(proj, "devbox.toml"), filepath.Join(proj, ".devcontainer")
	tests := []struct {
		name string
		spec proto.Spec
		want []proto.Mount
	}{
		{"project only; devbox.lock absent", proto.Spec{ProjectDir: proj},
			[]proto.Mount{ro(toml, toml), ro(dc, dc)}},
		{"a writable mount of a parent shows them again", proto.Spec{ProjectDir: proj, Mounts: []proto.Mount{{Source: filepath.Join(home, "src"), Target: "/src"}}},
			[]proto.Mount{ro(toml, toml), ro(toml, "/src/app/devbox.toml"), ro(dc, dc), ro(dc, "/src/app/.devcontainer")}},
		{"read-only and unrelated mounts need nothing", proto.Spec{ProjectDir: proj, Mounts: []proto.Mount{{Source: home, Target: "/h", ReadOnly: true}, {Source: "/usr", Target: "/u"}}},
			[]proto.Mount{ro(toml, toml), ro(dc, dc)}},
		{"home = host", proto.Spec{ProjectDir: proj, Home: "/home/me", HomeSource: home},
			[]proto.Mount{ro(toml, toml), ro(toml, "/home/me/src/app/devbox.toml"), ro(dc, dc), ro(dc, "/home/me/src/app/.devcontainer")}},
		{"home = ro", proto.Spec{ProjectDir: proj, Home: "/home/me", HomeSource: home, HomeReadOnly: true},
			[]proto.Mount{ro(toml, toml), ro(dc, dc)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := protectMounts(tt.spec); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("protectMounts =\n%v\nwant\n%v", got, tt.want)
			}
		})
	}
}

// TestProtectedFilesNameTheConfigAndLock keeps internal/protect's literal
// names in step with the constants the loaders use.
func TestProtectedFilesNameTheConfigAndLock(t *testing.T) {
	for _, want := range []string{config.FileName, storage.LockFile} {
		found := false
		for _, name := range ProtectedFiles {
			found = found || name == want
		}
		if !found {
			t.Errorf("ProtectedFiles %v lacks %q", ProtectedFiles, want)
		}
	}
}
