package shellinit

import (
	"path"
	"slices"
	"testing"
)

func TestEnv(t *testing.T) {
	host := []string{"TERM=screen", "LC_ALL=C.UTF-8", "SECRET=x", "PATH=/host/bin", "LANG=de_DE.UTF-8", "bogus"}
	got := Env(host, Session{Name: "app-1-0a1b2c", ShortName: "app-1", Project: "/p", Home: "/home/a", Shell: "/bin/zsh"}, []string{"FOO=bar", "LANG=C"})
	want := []string{
		"DEVBOX_NAME=app-1-0a1b2c", "DEVBOX_PROJECT=/p", "DEVBOX_SHORT_NAME=app-1", "FOO=bar", "HOME=/home/a", "LANG=C", "LC_ALL=C.UTF-8",
		"LOGNAME=root", "PATH=" + DefaultPath, "SHELL=/bin/zsh", "TERM=screen", "USER=root", "container=devbox",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Env =\n%q\nwant\n%q", got, want)
	}
}

func TestEnvDefaultsTerm(t *testing.T) {
	got := Env(nil, Session{Home: "/root"}, nil)
	if !slices.Contains(got, "TERM=xterm") {
		t.Errorf("Env without TERM = %q, want TERM=xterm", got)
	}
}

func TestEnvPathAndPathVar(t *testing.T) {
	got := WithPathVar(Env(nil, Session{Home: "/h", Path: "/usr/local/go/bin:/usr/bin"}, nil))
	for _, want := range []string{"PATH=/usr/local/go/bin:/usr/bin", PathVar + "=/usr/local/go/bin:/usr/bin"} {
		if !slices.Contains(got, want) {
			t.Errorf("env %q lacks %s", got, want)
		}
	}
	got = WithPathVar([]string{"PATH=/a", PathVar + "=/old", "PATH=/b"})
	if !slices.Equal(got, []string{PathVar + "=/b", "PATH=/a", "PATH=/b"}) {
		t.Errorf("WithPathVar = %q", got)
	}
}

func TestEnvPassThrough(t *testing.T) {
	host := []string{"EDITOR=vim", "https_proxy=http://p:3128", "NO_PROXY=.corp", "VSCODE_IPC_HOOK_CLI=/run/x.sock",
		"TERM_PROGRAM=vscode", "TERMINAL_EMULATOR=JetBrains-JediTerm", "AWS_SECRET_ACCESS_KEY=s", "MY_A=1", "MY_B=2", "OTHER=o"}
	got := Env(host, Session{Home: "/h", Pass: []string{"MY_*"}}, nil)
	for _, want := range []string{"EDITOR=vim", "https_proxy=http://p:3128", "NO_PROXY=.corp", "VSCODE_IPC_HOOK_CLI=/run/x.sock",
		"TERM_PROGRAM=vscode", "TERMINAL_EMULATOR=JetBrains-JediTerm", "MY_A=1", "MY_B=2"} {
		if !slices.Contains(got, want) {
			t.Errorf("Env lacks %s: %q", want, got)
		}
	}
	for _, secret := range []string{"AWS_SECRET_ACCESS_KEY=s", "OTHER=o"} {
		if slices.Contains(got, secret) {
			t.Errorf("Env passes %s, which no pattern names", secret)
		}
	}
}

// TestMatchesAsPathMatch: the fast path agrees with path.Match.
func TestMatchesAsPathMatch(t *testing.T) {
	names := []string{"", "TERM", "TERMX", "LC_ALL", "LC_", "LC", "LC_a/b", "VSCODE_IPC", "vscode_x", "A?B", "AXB", `A\B`, "[x"}
	patterns := append([]string{"", "*", "LC_*", "A?B", "[A-Z]*", `A\B`, "A*B", "*_ALL", "[x"}, DefaultPass...)
	for _, p := range patterns {
		for _, n := range names {
			want, _ := path.Match(p, n)
			if got := matches(p, n); got != want {
				t.Errorf("matches(%q, %q) = %v, path.Match says %v", p, n, got, want)
			}
		}
	}
}

// TestPassSetAsPasses: a passSet passes what Passes passes, for DefaultPass
// and for a mix of plain names, prefixes and other patterns.
func TestPassSetAsPasses(t *testing.T) {
	names := append([]string{"", "TERM", "TERMX", "LC_ALL", "LC_", "LC", "LC_a/b", "VSCODE_IPC", "vscode_x", "A?B", "AXB", `A\B`, "[x", "PATH", "HOME"}, DefaultPass...)
	lists := [][]string{DefaultPass, nil, {"LC_*", "A?B", "[A-Z]*", `A\B`, "TERM", "[x"}, {"*"}, {"A*B", "*_ALL"}}
	for _, l := range lists {
		s := newPassSet(l)
		for _, n := range names {
			if got, want := s.passes(n), Passes(l, n); got != want {
				t.Errorf("newPassSet(%q).passes(%q) = %v, Passes says %v", l, n, got, want)
			}
		}
	}
}

func FuzzMatches(f *testing.F) {
	f.Add("LC_*", "LC_ALL")
	f.Add("TERM", "TERM")
	f.Add("VSCODE_*", "VSCODE_a/b")
	f.Fuzz(func(t *testing.T, p, name string) {
		want, err := path.Match(p, name)
		if err != nil {
			return // a bad pattern: config refuses it (setEnvPass)
		}
		if got := matches(p, name); got != want {
			t.Errorf("matches(%q, %q) = %v, path.Match says %v", p, name, got, want)
		}
		if got := newPassSet([]string{p}).passes(name); got != want {
			t.Errorf("newPassSet(%q).passes(%q) = %v, path.Match says %v", p, name, got, want)
		}
	})
}
