package config

import (
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
