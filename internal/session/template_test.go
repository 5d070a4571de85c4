package session

import (
	"slices"
	"strings"
	"testing"

	"github.com/devbox-dev/devbox/internal/proto"
)

func TestOverlayEnv(t *testing.T) {
	tests := []struct {
		env, over, want []string
	}{
		{nil, nil, nil},
		{[]string{"A=1", "B=2"}, []string{"B=3", "C=4"}, []string{"A=1", "B=3", "C=4"}},
		{[]string{"PATH=/host"}, []string{"PATH=/usr/local/go/bin:/usr/bin"}, []string{"PATH=/usr/local/go/bin:/usr/bin"}},
		{[]string{"A=x=y"}, []string{"A=z"}, []string{"A=z"}},
	}
	for _, tt := range tests {
		if got := OverlayEnv(tt.env, tt.over); !slices.Equal(got, tt.want) {
			t.Errorf("OverlayEnv(%q, %q) = %q, want %q", tt.env, tt.over, got, tt.want)
		}
	}
}

func TestDefaultShell(t *testing.T) {
	tests := []struct {
		cmd  []string
		want string
	}{
		{[]string{"bash"}, "/bin/bash"},
		{[]string{"/bin/sh"}, "/bin/sh"},
		{[]string{"python3"}, ""},
		{[]string{"sh", "-c", "x"}, ""},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := DefaultShell(tt.cmd); got != tt.want {
			t.Errorf("DefaultShell(%q) = %q, want %q", tt.cmd, got, tt.want)
		}
	}
}

// The image's Env goes under the config's env, which Build applies last;
// a host-view request is left as it is.
func TestTemplateImage(t *testing.T) {
	img := Template{ImageWorkdir: "/src", ImageEnv: []string{"PATH=/img", "LANG=C"}, ImageShell: "/bin/bash"}
	req := proto.Spawn{Env: []string{"PATH=/host", "X=1"}}
	got := img.image(req)
	if got.DefaultCwd != "/src" || got.ShellHint != "/bin/bash" || strings.Join(got.Env, " ") != "PATH=/img X=1 LANG=C" {
		t.Errorf("image = %+v", got)
	}
	img.HostView = true
	if got := img.image(req); !slices.Equal(got.Env, req.Env) || got.DefaultCwd != "" {
		t.Errorf("host view changed the request: %+v", got)
	}
}
