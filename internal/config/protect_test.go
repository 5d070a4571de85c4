package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestProtectKeysErrors(t *testing.T) {
	ctx := testContext(t)
	tests := []struct{ name, src, want string }{
		{"protect absolute", "protect = [\"/secrets\"]\n", `protect: invalid value "/secrets": want a path relative to the project, such as "secrets"`},
		{"protect leaves project", "protect = [\"../x\"]\n", `protect: invalid value "../x": want a path inside the project`},
		{"protect the project", "protect = [\"a/..\"]\n", `protect: invalid value "a/..": want a path inside the project`},
		{"protect empty", "protect = [\"\"]\n", `protect: invalid value "": want a path in the project`},
		{"protect not array", "protect = \"x\"\n", `protect: want an array of paths in the project, got a string`},
		{"protect_defaults type", "protect_defaults = \"no\"\n", `protect_defaults: invalid value "no": valid choices are true, false`},
		{"git_writes type", "git_writes = 1\n", `git_writes: want a boolean (true or false), got an integer`},
		{"deny_read relative", "deny_read = [\"etc/ssh\"]\n", `deny_read: invalid value "etc/ssh": want an absolute path in the sandbox, such as "/etc/ssh"`},
		{"deny_read root", "deny_read = [\"/\"]\n", `deny_read: invalid value "/": it holds the project`},
		{"deny_read holds project", "deny_read = [\"" + filepath.Dir(ctx.Project) + "\"]\n", `it holds the project ` + ctx.Project},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.src), "devbox.toml", ctx)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse(%q) = %v, want an error with %q", tt.src, err, tt.want)
			}
		})
	}
}

func TestProtectKeysNeedStrict(t *testing.T) {
	for _, src := range []string{"protect = [\"x\"]\n", "protect_defaults = false\n", "git_writes = true\n"} {
		ctx := testContext(t)
		os.WriteFile(filepath.Join(ctx.Project, FileName), []byte(src), 0o644)
		if _, err := Load("devbox.toml", ctx, nil); err == nil || !strings.Contains(err.Error(), `apply to security = "strict" only`) {
			t.Errorf("%q with the default profile: %v, want refused", src, err)
		}
		os.WriteFile(filepath.Join(ctx.Project, FileName), []byte("security = \"strict\"\n"+src), 0o644)
		if _, err := Load("devbox.toml", ctx, nil); err != nil {
			t.Errorf("%q with strict: %v", src, err)
		}
	}
	ctx := testContext(t)
	os.WriteFile(filepath.Join(ctx.Project, FileName), []byte("deny_read = [\"/etc/ssh\"]\n"), 0o644)
	if c, err := Load("devbox.toml", ctx, nil); err != nil || len(c.DenyRead) != 1 {
		t.Errorf("deny_read with the default profile: %+v, %v", c.DenyRead, err)
	}
}
