package sandbox

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/devbox-dev/devbox/internal/config"
	"github.com/devbox-dev/devbox/internal/project"
	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/state"
)

// The image's WorkingDir applies only without a workdir (Template.Build
// tests the rest).
func TestNewTemplateImage(t *testing.T) {
	lk := &Image{Config: state.ImageConfig{WorkingDir: "/src", Env: []string{"PATH=/img", "LANG=C"}, Cmd: []string{"bash"}}}
	got := newTemplate(Options{Image: lk, Config: config.Defaults()})
	if got.HostView || got.ImageWorkdir != "/src" || got.ImageShell != "/bin/bash" || strings.Join(got.ImageEnv, " ") != "PATH=/img LANG=C" {
		t.Errorf("newTemplate = %+v", got)
	}
	c := config.Defaults()
	c.Workdir = "/work"
	if got := newTemplate(Options{Image: lk, Config: c}); got.ImageWorkdir != "" || got.Workdir != "/work" {
		t.Errorf("with workdir: ImageWorkdir = %q, Workdir = %q", got.ImageWorkdir, got.Workdir)
	}
	if got := newTemplate(Options{Config: c}); !got.HostView || got.ImageEnv != nil {
		t.Errorf("host view: %+v", got)
	}
}

func TestThrowawayName(t *testing.T) {
	o := Throwaway(Options{Name: strings.Repeat("n", 60), Config: config.Defaults()})
	if !o.Ephemeral || o.Config.IdleTimeout != 0 || len(o.Name) != 63 || !strings.HasPrefix(o.Name, strings.Repeat("n", 51)+"-rm-") {
		t.Errorf("Throwaway = %q ephemeral=%v idle=%v", o.Name, o.Ephemeral, o.Config.IdleTimeout)
	}
}

// PATH: the host's in the host view (filtered inside), the image's in an
// image sandbox, and [env] PATH over either, with $PATH its base; the rc
// files' copy follows the result.
func TestSessionPath(t *testing.T) {
	t.Setenv("PATH", "/usr/local/go/bin:/usr/bin")
	lk := &Image{Config: state.ImageConfig{Env: []string{"PATH=/img/bin:/usr/bin"}}}
	tests := []struct {
		name   string
		image  *Image
		env    map[string]string
		want   string
		filter bool
	}{
		{"host view", nil, nil, "/usr/local/go/bin:/usr/bin", true},
		{"image", lk, nil, "/img/bin:/usr/bin", false},
		{"config over the image", lk, map[string]string{"PATH": "/opt/x/bin:$PATH"}, "/opt/x/bin:/img/bin:/usr/bin", false},
		{"config over the host", nil, map[string]string{"PATH": "${PATH}:/extra"}, "/usr/local/go/bin:/usr/bin:/extra", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := config.Defaults()
			c.Env = tt.env
			req := Session(Options{Name: "n", Project: "/p", Image: tt.image, Config: c}, []string{"true"})
			if !slices.Contains(req.Env, "PATH="+tt.want) || !slices.Contains(req.Env, "DEVBOX_PATH="+tt.want) || req.FilterPath != tt.filter {
				t.Errorf("Session: filter %v, env %q; want PATH and DEVBOX_PATH %s, filter %v", req.FilterPath, req.Env, tt.want, tt.filter)
			}
		})
	}
}

// TestSessionLater: the request built beside the join is Session's with the
// tweak applied, for a project with a real directory and data dirs here.
func TestSessionLater(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	dir := t.TempDir()
	c := config.Defaults()
	c.Env = map[string]string{"A": "1", "PATH": "/opt/bin:$PATH"}
	tests := []struct {
		name  string
		argv  []string
		tweak func(*proto.Spawn)
	}{
		{"command", []string{"make", "test"}, func(r *proto.Spawn) { r.TTY = true }},
		{"shell", nil, func(r *proto.Spawn) { r.Shell, r.Login = true, true }},
		{"untouched", []string{"true"}, func(*proto.Spawn) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := Options{Project: dir, Name: project.Name(dir), Config: c}
			want := Session(opts, tt.argv)
			tt.tweak(&want)
			req := SessionLater(opts, tt.argv, tt.tweak)
			if got := req(); !reflect.DeepEqual(got, want) {
				t.Errorf("SessionLater = %+v, want %+v", got, want)
			}
			if got := req(); !reflect.DeepEqual(got, want) {
				t.Errorf("SessionLater asked again = %+v, want %+v", got, want)
			}
		})
	}
}
