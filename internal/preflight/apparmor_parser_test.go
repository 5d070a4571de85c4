package preflight_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/devbox-dev/devbox/internal/preflight"
	"github.com/devbox-dev/devbox/internal/testutil"
)

// aaParser finds an apparmor_parser that knows AppArmor 4.0's userns rule:
// $DEVBOX_TEST_APPARMOR_PARSER (test.sh sets it to Debian 13's), else the
// host's. Debian 12's is 3.0.8, which predates the rule.
func aaParser(t *testing.T) string {
	t.Helper()
	parser := os.Getenv("DEVBOX_TEST_APPARMOR_PARSER")
	if parser == "" {
		parser = "apparmor_parser"
		for _, p := range []string{"/usr/sbin/apparmor_parser", "/sbin/apparmor_parser"} {
			if _, err := os.Stat(p); err == nil {
				parser = p
				break
			}
		}
	}
	out, err := exec.Command(parser, "--version").Output()
	if err != nil {
		testutil.Skip(t, "no apparmor_parser (%s: %v): run ./test.sh as root, which provides AppArmor 4's", parser, err)
	}
	version := strings.SplitN(string(out), "\n", 2)[0]
	if !strings.Contains(version, "version 4.") && !strings.Contains(version, "version 5.") {
		testutil.Skip(t, "%s is %q, older than AppArmor 4.0's userns rule (Debian 12 ships 3.0.8): run ./test.sh as root, which provides Debian 13's", parser, version)
	}
	return parser
}

// compile runs the parser on profile without loading it into the kernel
// (-Q, --skip-kernel-load) or touching the cache (-K): AppArmor is not in
// this kernel, and loading needs root.
func compile(t *testing.T, parser, profile string) ([]byte, error) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "devbox")
	if err := os.WriteFile(f, []byte(profile), 0o644); err != nil {
		t.Fatal(err)
	}
	return exec.Command(parser, "-Q", "-K", f).CombinedOutput()
}

func TestAppArmorProfileCompiles(t *testing.T) {
	parser := aaParser(t)
	for _, bindir := range []string{"/usr/local/bin", "/home/alice/.local/bin", "/opt/my tools/bin"} {
		if out, err := compile(t, parser, preflight.AppArmorProfile(bindir)); err != nil {
			t.Errorf("profile for %s does not compile: %v\n%s\n%s", bindir, err, out, preflight.AppArmorProfile(bindir))
		}
	}
	// The parser really checks: a misspelt rule fails.
	broken := strings.Replace(preflight.AppArmorProfile("/usr/local/bin"), "userns,", "usernz,", 1)
	if out, err := compile(t, parser, broken); err == nil {
		t.Errorf("a profile with 'usernz,' compiled:\n%s", out)
	}
}
