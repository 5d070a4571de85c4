package session

import (
	"slices"
	"strings"
	"testing"

	"github.com/devbox-dev/devbox/internal/wire"
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
	req := wire.Spawn{Env: []string{"PATH=/host", "X=1"}}
	got := img.image(req)
	if got.DefaultCwd != "/src" || got.ShellHint != "/bin/bash" || strings.Join(got.Env, " ") != "PATH=/img X=1 LANG=C" {
		t.Errorf("image = %+v", got)
	}
	img.HostView = true
	if got := img.image(req); !slices.Equal(got.Env, req.Env) || got.DefaultCwd != "" {
		t.Errorf("host view changed the request: %+v", got)
	}
}

// Build: the host's PATH in the host view, the config's env last (its
// $PATH is the PATH before it), the workdir over the current directory,
// and the joined sandbox's user over the template's ids.
func TestBuild(t *testing.T) {
	env := map[string]string{"PATH": "/usr/bin:/bin", "SHELL": "/bin/bash", "TERM": "vt100", "SECRET": "x"}
	in := Inputs{Environ: []string{"PATH=/usr/bin:/bin", "SHELL=/bin/bash", "TERM=vt100", "SECRET=x"},
		Getenv: func(k string) string { return env[k] }, Cwd: "/src/p/sub", ShortName: "p", Argv: []string{"true"}}
	tm := Template{Name: "p-1", Project: "/src/p", Home: "/home/u", HostView: true, Env: []string{"A=1", "PATH=/opt/bin:$PATH"},
		KeepID: &wire.KeepID{UID: 1000, GID: 1000}, Post: []string{"USER=u", "LOGNAME=u"}}
	req := tm.Build(in)
	if req.Cwd != "/src/p/sub" || req.DefaultCwd != "/src/p" || req.ShellHint != "/bin/bash" || !req.FilterPath || req.KeepID == nil {
		t.Errorf("Build = %+v", req)
	}
	for _, want := range []string{"PATH=/opt/bin:/usr/bin:/bin", "A=1", "TERM=vt100", "USER=u", "DEVBOX_SHORT_NAME=p", "HOME=/home/u", "DEVBOX_HOST_VIEW=1"} {
		if !slices.Contains(req.Env, want) {
			t.Errorf("Build's env lacks %s: %q", want, req.Env)
		}
	}
	if EnvValue(req.Env, "SECRET") != "" {
		t.Errorf("Build passed SECRET through: %q", req.Env)
	}
	tm.Workdir, tm.Shell, tm.User = "/w", "/bin/zsh", "root"
	req = tm.Build(in)
	if req.Cwd != "/w" || req.ShellHint != "/bin/zsh" || req.KeepID != nil || EnvValue(req.Env, "USER") != "root" {
		t.Errorf("Build with workdir, shell and user root = %+v", req)
	}
}
