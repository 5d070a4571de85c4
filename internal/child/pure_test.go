package child

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/devbox-dev/devbox/internal/proto"
)

func TestHiddenAt(t *testing.T) {
	spec := proto.Spec{
		ProjectDir: "/home/al/proj",
		Home:       "/home/al", HomeSource: "/home/al/.local/share/devbox/sandboxes/proj/home",
		Mounts: []proto.Mount{{Source: "/home/al", Target: "/mnt/al"}, {Source: "/srv", Target: "/srv"}},
	}
	tests := []struct {
		name, p string
		want    []string
	}{
		{"not below any bind", "/run/user/1000/devbox", []string{"/run/user/1000/devbox"}},
		{"below an extra bind", "/home/al/.local/share/devbox",
			[]string{"/home/al/.local/share/devbox", "/mnt/al/.local/share/devbox"}},
		{"the bind's source itself", "/srv", []string{"/srv", "/srv"}},
		{"a sibling with a common prefix is not below", "/srvx/devbox", []string{"/srvx/devbox"}},
		{"below the project", "/home/al/proj/.devbox", []string{"/home/al/proj/.devbox", "/home/al/proj/.devbox", "/mnt/al/proj/.devbox"}},
		{"below the home's source", "/home/al/.local/share/devbox/sandboxes/proj/home/x",
			[]string{"/home/al/.local/share/devbox/sandboxes/proj/home/x", "/home/al/x", "/mnt/al/.local/share/devbox/sandboxes/proj/home/x"}},
	}
	for _, tt := range tests {
		if got := hiddenAt(spec, tt.p); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: hiddenAt(%q) = %q, want %q", tt.name, tt.p, got, tt.want)
		}
	}
}

// Binds with an empty source (no project, a throwaway home) hold nothing.
func TestHiddenAtSkipsEmptySources(t *testing.T) {
	if got := hiddenAt(proto.Spec{}, "/data/devbox"); !reflect.DeepEqual(got, []string{"/data/devbox"}) {
		t.Errorf("hiddenAt = %q", got)
	}
}

func TestProfile(t *testing.T) {
	for in, want := range map[string]string{"": proto.SecurityDefault, proto.SecurityDefault: proto.SecurityDefault, proto.SecurityUnconfined: proto.SecurityUnconfined} {
		if got, err := profile(proto.Spec{Security: in}); err != nil || got != want {
			t.Errorf("profile(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	_, err := profile(proto.Spec{Security: "strict-ish"})
	if err == nil || !strings.Contains(err.Error(), `"strict-ish"`) {
		t.Errorf("profile of an unknown name: %v", err)
	}
}

// etcTarget reads the host's /etc layout; the cases build one in a temp
// dir: a regular file, a link into /run (systemd-resolved), a relative link
// to a regular file, and missing or dangling ones.
func TestEtcTarget(t *testing.T) {
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(dir, "hosts"), nil, 0o644))
	must(os.WriteFile(filepath.Join(dir, "real"), nil, 0o644))
	must(os.Symlink("/run/systemd/resolve/stub-resolv.conf", filepath.Join(dir, "resolv.conf")))
	must(os.Symlink("/run/../run/x", filepath.Join(dir, "unclean")))
	must(os.Symlink("real", filepath.Join(dir, "relative")))
	must(os.Symlink("/nonexistent/hostname", filepath.Join(dir, "dangling")))
	tests := []struct{ name, want string }{
		{"hosts", filepath.Join(dir, "hosts")},
		{"resolv.conf", "/run/systemd/resolve/stub-resolv.conf"},
		{"unclean", "/run/x"},
		{"relative", filepath.Join(dir, "relative")},
		{"dangling", ""},
		{"missing", ""},
	}
	for _, tt := range tests {
		got, err := etcTarget(filepath.Join(dir, tt.name))
		if tt.want == "" {
			if err == nil || !strings.Contains(err.Error(), "read-only inside") {
				t.Errorf("etcTarget(%s) = %q, %v; want the read-only error", tt.name, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("etcTarget(%s) = %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
}
