package config

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// -e NAME takes the host's value, and sets nothing when the host has none.
func TestEnvFlagHostValue(t *testing.T) {
	ctx := testContext(t)
	ctx.LookupEnv = func(k string) (string, bool) {
		if k == "ON_HOST" {
			return "host value", true
		}
		return "", false
	}
	c, err := Load("devbox.toml", ctx, []Override{
		{Flag: "env", Key: "env", Value: "ON_HOST"},
		{Flag: "env", Key: "env", Value: "NOT_ON_HOST"},
		{Flag: "env", Key: "env", Value: "SET=x=y"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Env["ON_HOST"] != "host value" || c.Env["SET"] != "x=y" {
		t.Errorf("env = %q", c.Env)
	}
	if _, ok := c.Env["NOT_ON_HOST"]; ok {
		t.Errorf("-e NOT_ON_HOST set a value: %q", c.Env)
	}
	if _, err := Load("devbox.toml", ctx, []Override{{Flag: "env", Key: "env", Value: "=x"}}); err == nil || !strings.Contains(err.Error(), "want NAME=VALUE, or NAME") {
		t.Errorf("-e =x: err = %v", err)
	}
}

func TestEnvPass(t *testing.T) {
	ctx := testContext(t)
	c, err := Parse([]byte("[env]\nA = \"1\"\npass = [\"AWS_REGION\", \"MY_*\"]\n"), "devbox.toml", ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.EnvPass, []string{"AWS_REGION", "MY_*"}) || c.Env["A"] != "1" {
		t.Errorf("Parse: pass %q env %q", c.EnvPass, c.Env)
	}
	_, err = Parse([]byte("[env]\npass = [\"BAD[\"]\n"), "devbox.toml", ctx)
	if err == nil || !strings.Contains(err.Error(), "devbox.toml:2:8: env.pass: invalid pattern \"BAD[\"") {
		t.Errorf("bad pattern: err = %v", err)
	}
	_, err = Parse([]byte("[env]\nOTHER = [\"x\"]\n"), "devbox.toml", ctx)
	if err == nil || !strings.Contains(err.Error(), "OTHER: want a string") {
		t.Errorf("array for a variable: err = %v", err)
	}
}

// -v and --mount take docker's two forms.
func TestMountFlagForms(t *testing.T) {
	ctx := testContext(t)
	cache := filepath.Join(ctx.Project, "cache")
	tests := []struct {
		flag string
		want Mount
		err  string
	}{
		{"cache:/c", Mount{Source: cache, Target: "/c"}, ""},
		{"cache:/c:ro", Mount{Source: cache, Target: "/c", ReadOnly: true}, ""},
		{"type=bind,source=cache,target=/c", Mount{Source: cache, Target: "/c"}, ""},
		{"type=bind,src=cache,dst=/c,readonly", Mount{Source: cache, Target: "/c", ReadOnly: true}, ""},
		{"source=cache,destination=/c,ro=false", Mount{Source: cache, Target: "/c"}, ""},
		{"type=volume,source=v,target=/c", Mount{}, "only bind"},
		{"type=bind,target=/c", Mount{}, "needs source and target"},
		{"source=cache,target=/c,z=1", Mount{}, `unknown field "z"`},
		{"nope:/c", Mount{}, "does not exist on the host"},
	}
	for _, tt := range tests {
		c, err := Load("devbox.toml", ctx, []Override{{Flag: "mount", Key: "mounts", Value: tt.flag}})
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: err = %v, want %q", tt.flag, err, tt.err)
			}
			continue
		}
		if err != nil || len(c.Mounts) != 1 || c.Mounts[0] != tt.want {
			t.Errorf("%s: mounts %+v, %v; want %+v", tt.flag, c.Mounts, err, tt.want)
		}
	}
}

// A sandbox started as root (the old default, or user = "root" since
// removed from the file) keeps root on a join without a user; a user
// given in the file or a flag is still a change.
func TestJoinKeepsRecordedUser(t *testing.T) {
	oldDefault := Defaults()
	oldDefault.User = UserRoot
	rec := NewRecord(oldDefault, oldDefault)
	cur := Defaults()
	if got := rec.JoinChanges(cur, cur, nil); len(got) != 0 {
		t.Errorf("join without a user: changes %q, want none", got)
	}
	if rec.UserMode() != UserRoot || NewRecord(cur, cur).UserMode() != UserSelf {
		t.Errorf("UserMode: recorded root gives %q, default gives %q", rec.UserMode(), NewRecord(cur, cur).UserMode())
	}
	self := Defaults()
	self.User = UserSelf
	if got := rec.JoinChanges(self, self, nil); !slices.Equal(got, []string{"user"}) {
		t.Errorf("join with user = \"self\" in the file: changes %q, want [user]", got)
	}
}

func TestHomeFiles(t *testing.T) {
	tests := []struct {
		in   string
		want HomeFile
		err  bool
	}{
		{"~/.vimrc", HomeFile{Path: ".vimrc"}, false},
		{".config/nvim", HomeFile{Path: ".config/nvim"}, false},
		{"~/.bash_history:rw", HomeFile{Path: ".bash_history", Writable: true}, false},
		{"~/.inputrc:ro", HomeFile{Path: ".inputrc"}, false},
		{"/etc/passwd", HomeFile{}, true},
		{"~/../other/.ssh", HomeFile{}, true},
		{"~", HomeFile{}, true},
		{"~/x:wr", HomeFile{}, true},
	}
	for _, tt := range tests {
		got, err := parseHomeFile(tt.in)
		if (err != nil) != tt.err || (!tt.err && got != tt.want) {
			t.Errorf("parseHomeFile(%q) = %+v, %v; want %+v, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
	c, err := Parse([]byte("home_files = [\"~/.vimrc\", \"/etc/x\"]\ncache = false\n"), "devbox.toml", testContext(t))
	if err == nil || !strings.Contains(err.Error(), "devbox.toml:1:14: home_files: invalid value \"/etc/x\"") {
		t.Errorf("bad home_files: %+v, %v", c, err)
	}
	c, err = Parse([]byte("cache = false\n"), "devbox.toml", testContext(t))
	if err != nil || c.CacheOn() || !Defaults().CacheOn() {
		t.Errorf("cache = false: %+v, %v; the default is on", c.Cache, err)
	}
}

// The cache is on by default except under the strict profile, where
// cache = true still turns it on.
func TestCacheDefaultFollowsProfile(t *testing.T) {
	tests := []struct {
		file string
		want bool
	}{
		{"", true},
		{"security = \"unconfined\"\n", true},
		{"security = \"strict\"\n", false},
		{"security = \"strict\"\ncache = true\n", true},
		{"cache = false\n", false},
	}
	for _, tt := range tests {
		c, err := Parse([]byte(tt.file), "devbox.toml", testContext(t))
		if err != nil || c.CacheOn() != tt.want {
			t.Errorf("%q: CacheOn = %v, %v; want %v", tt.file, c.CacheOn(), err, tt.want)
		}
		if got := c.SandboxValues()["cache"]; got != fmt.Sprint(tt.want) {
			t.Errorf("%q: recorded cache = %q, want %v", tt.file, got, tt.want)
		}
	}
}
