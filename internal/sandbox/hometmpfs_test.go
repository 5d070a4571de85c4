package sandbox

import (
	"testing"

	"github.com/devbox-dev/devbox/internal/config"
	"github.com/devbox-dev/devbox/internal/proto"
)

// TestConfigureSpecThrowawayHome: a --rm sandbox's private home is the
// child's tmpfs, with no host dir; home = "host" and "ro" bind the user's
// own home instead, in a --rm sandbox too.
func TestConfigureSpecThrowawayHome(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	for _, tt := range []struct {
		home         string
		wantTmpfs    bool
		wantSource   string
		wantReadOnly bool
	}{
		{config.HomePrivate, true, "", false},
		{config.HomeHost, false, "/home/u", false},
		{config.HomeRO, false, "/home/u", true},
	} {
		spec := proto.Spec{ProjectDir: "/p", Home: "/home/u", HomeTmpfs: true}
		c := config.Defaults()
		c.Home = tt.home
		if err := configureSpec(&spec, Options{Project: "/p", Ephemeral: true, Config: c}); err != nil {
			t.Fatalf("home = %s: %v", tt.home, err)
		}
		if spec.HomeTmpfs != tt.wantTmpfs || spec.HomeSource != tt.wantSource || spec.HomeReadOnly != tt.wantReadOnly {
			t.Errorf("home = %s: HomeTmpfs %v, HomeSource %q, HomeReadOnly %v; want %v, %q, %v", tt.home,
				spec.HomeTmpfs, spec.HomeSource, spec.HomeReadOnly, tt.wantTmpfs, tt.wantSource, tt.wantReadOnly)
		}
	}
}
