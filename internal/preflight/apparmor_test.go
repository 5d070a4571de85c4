package preflight

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/devbox-dev/devbox/hint"
)

// The trees under testdata/apparmor follow the kernel's formats for
// /proc/sys/kernel/apparmor_restrict_unprivileged_userns,
// /proc/self/attr/{,apparmor/}current, /sys/kernel/security/apparmor/profiles
// and policy/profiles/<name>.<n>/{name,mode,attach}, with the profiles
// Ubuntu 24.04 loads (see testdata/README.md).
func treeRoots(name string) Roots {
	dir := filepath.Join("testdata", "apparmor", name)
	return Roots{Proc: filepath.Join(dir, "proc"), SecurityFS: filepath.Join(dir, "sys/kernel/security"), SELinuxFS: filepath.Join(dir, "sys/fs/selinux")}
}

func TestCheckAppArmor(t *testing.T) {
	const exe = "/usr/local/bin/devbox"
	tests := []struct {
		tree   string
		exe    string
		root   bool
		shown  bool
		status Status
		detail string
	}{
		{"ubuntu-noprofile", exe, false, true, StatusFail, "no AppArmor profile covers /usr/local/bin/devbox"},
		{"ubuntu-noprofile", exe, true, true, StatusOK, "root is exempt"},
		{"ubuntu-user-noprofile", exe, false, true, StatusFail, "no AppArmor profile covers"},
		{"ubuntu-user-profile", exe, false, true, StatusOK, "runs under profile usr.local.bin.devbox (unconfined)"},
		{"ubuntu-loaded-later", exe, false, true, StatusOK, "usr.local.bin.devbox (unconfined; loaded after this process started)"},
		{"ubuntu-loaded-later", "/home/alice/.local/bin/devbox", false, true, StatusFail, "no AppArmor profile covers /home/alice/.local/bin/devbox"},
		{"ubuntu-pathname", "/opt/devbox/bin/devbox", false, true, StatusOK, "/opt/devbox/bin/devbox (complain;"},
		{"ubuntu-off", exe, false, true, StatusOK, "apparmor_restrict_unprivileged_userns=0"},
		{"debian12", exe, false, false, "", ""},
		{"absent", exe, false, false, "", ""},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%s/root=%v", tt.tree, filepath.Base(filepath.Dir(tt.exe)), tt.root), func(t *testing.T) {
			c, shown := checkAppArmor(readAppArmor(treeRoots(tt.tree)), tt.exe, tt.root)
			if shown != tt.shown {
				t.Fatalf("shown = %v, want %v (%+v)", shown, tt.shown, c)
			}
			if !shown {
				return
			}
			if c.Status != tt.status || !contains(c.Detail, tt.detail) {
				t.Errorf("got %+v, want %s with %q", c, tt.status, tt.detail)
			}
			if c.Status == StatusFail && !contains(c.Fix, "/etc/apparmor.d/"+AppArmorName(tt.exe)) {
				t.Errorf("fix does not install the profile for %s:\n%s", tt.exe, c.Fix)
			}
		})
	}
}

func TestReadAppArmorProfiles(t *testing.T) {
	f := readAppArmor(treeRoots("debian12"))
	want := map[string]aaProfile{
		"/usr/bin/man": {"/usr/bin/man", "enforce", "/usr/bin/man"},
		"man_filter":   {"man_filter", "enforce", ""},
		"passt":        {"passt", "enforce", "/usr/bin/pas{st,ta}"},
	}
	if len(f.profiles) != 4 || f.restrict != "" || f.label != "unconfined" {
		t.Fatalf("facts %+v", f)
	}
	for _, p := range f.profiles {
		if w, ok := want[p.Name]; ok && p != w {
			t.Errorf("profile %+v, want %+v", p, w)
		}
	}
	if f := readAppArmor(treeRoots("ubuntu-user-noprofile")); f.profiles != nil || !errors.Is(f.readErr, os.ErrNotExist) {
		t.Errorf("unreadable profile list: %+v", f)
	}
}

func TestParseProfiles(t *testing.T) {
	got := parseProfiles([]byte("a (enforce)\nname with space (complain)\n\ngarbage\nnvidia_modprobe//kmod (enforce)\n (x)\n"), map[string]string{"a": "/bin/a"})
	want := []aaProfile{{"a", "enforce", "/bin/a"}, {"name with space", "complain", ""}, {"nvidia_modprobe//kmod", "enforce", ""}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func FuzzParseProfiles(f *testing.F) {
	f.Add([]byte("a (enforce)\nb (unconfined)\n"))
	f.Add([]byte("(\n)\n ( )"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, p := range parseProfiles(b, nil) {
			if p.Name == "" || strings.Contains(p.Name, "\n") {
				t.Errorf("bad profile %+v from %q", p, b)
			}
		}
	})
}

func TestCheckNoNewPrivs(t *testing.T) {
	if c, ok := checkNoNewPrivs(treeRoots("pod-nonewprivs"), false); !ok || c.Status != StatusWarn || !contains(c.Fix, "allowPrivilegeEscalation") {
		t.Errorf("no_new_privs set: %+v, %v; want a warning with the fix", c, ok)
	}
	if c, ok := checkNoNewPrivs(treeRoots("pod-nonewprivs"), true); ok {
		t.Errorf("no_new_privs as root (maps written without newuidmap): want no check, got %+v", c)
	}
	if c, ok := checkNoNewPrivs(treeRoots("debian12"), false); ok {
		t.Errorf("no status file: want no check, got %+v", c)
	}
}

func TestExplainUserNSDenied(t *testing.T) {
	const exe = "/usr/local/bin/devbox"
	eperm := fmt.Errorf("use capabilities: %w", syscall.EPERM)
	eacces := fmt.Errorf("create namespaces: %w", &os.SyscallError{Syscall: "fork/exec", Err: syscall.EACCES})
	tests := []struct {
		name, tree string
		err        error
		msg, hint  string
	}{
		{"restricted, no profile", "ubuntu-user-noprofile", eperm, "AppArmor denies capabilities in user namespaces to /usr/local/bin/devbox", "sudo apparmor_parser -r /etc/apparmor.d/usr.local.bin.devbox"},
		{"restricted clone EACCES", "ubuntu-noprofile", eacces, "kernel.apparmor_restrict_unprivileged_userns=1", "userns,"},
		{"restricted, profile lacks userns", "ubuntu-user-profile", eperm, "profile usr.local.bin.devbox (unconfined) covers it but does not allow them", "add the line 'userns,'"},
		{"not restricted", "debian12", eperm, "grants no capabilities: use capabilities: operation not permitted", "seccomp"},
		{"no AppArmor at all", "absent", eperm, "grants no capabilities", "ausearch"},
		{"other errno unchanged", "ubuntu-noprofile", fmt.Errorf("x: %w", syscall.EINVAL), "x: invalid argument", ""},
		{"hinted unchanged", "ubuntu-noprofile", hint.Wrap(eperm, "known"), "use capabilities", "known"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := treeRoots(tt.tree).ExplainUserNSDenied(tt.err, exe)
			if !contains(err.Error(), tt.msg) || !contains(hint.Of(err), tt.hint) || (tt.hint == "") != (hint.Of(err) == "") {
				t.Errorf("got %q hint %q, want %q hint with %q", err, hint.Of(err), tt.msg, tt.hint)
			}
			if !errors.Is(err, tt.err) {
				t.Error("explanation lost the cause")
			}
		})
	}
}

func TestAppArmorName(t *testing.T) {
	for in, want := range map[string]string{
		"/usr/local/bin/devbox":         "usr.local.bin.devbox",
		"/home/alice/.local/bin/devbox": "home.alice..local.bin.devbox",
		"/opt/my tools/dev$box":         "opt.my_tools.dev_box",
	} {
		if got := AppArmorName(in); got != want {
			t.Errorf("AppArmorName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAppArmorProfileForm(t *testing.T) {
	got := AppArmorProfile("/home/alice/.local/bin/")
	for _, want := range []string{
		"abi <abi/4.0>,\ninclude <tunables/global>\n",
		"profile home.alice..local.bin.devbox \"/home/alice/.local/bin/devbox\" flags=(unconfined) {\n  userns,\n",
		"include if exists <local/home.alice..local.bin.devbox>",
		"profile home.alice..local.bin.devbox-init \"/home/alice/.local/bin/devbox-init\" flags=(unconfined) {\n  userns,\n",
		"include if exists <local/home.alice..local.bin.devbox-init>",
	} {
		if !contains(got, want) {
			t.Errorf("profile lacks %q:\n%s", want, got)
		}
	}
}

// The template install.sh renders is the one devbox doctor prints.
func TestAppArmorTemplateMatchesContrib(t *testing.T) {
	b, err := os.ReadFile("../../contrib/apparmor/devbox.in")
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != appArmorTemplate {
		t.Errorf("contrib/apparmor/devbox.in and appArmorTemplate differ: copy the file into the constant")
	}
}

// install.sh renders the profile for the directory it installs to exactly
// as devbox does.
func TestInstallScriptRendersProfile(t *testing.T) {
	for _, prefix := range []string{"/usr/local", "/opt/a b/c&d|e"} {
		out, err := exec.Command("sh", "../../install.sh", "--prefix", prefix, "--print-apparmor-profile").CombinedOutput()
		if err != nil {
			t.Fatalf("install.sh --print-apparmor-profile: %v\n%s", err, out)
		}
		if want := AppArmorProfile(prefix + "/bin"); string(out) != want {
			t.Errorf("install.sh rendered:\n%s\nwant:\n%s", out, want)
		}
	}
}

func TestAppArmorFixForm(t *testing.T) {
	fix := appArmorFix("/usr/local/bin/devbox")
	for _, want := range []string{
		"sudo tee /etc/apparmor.d/usr.local.bin.devbox", "\nEOF\nsudo apparmor_parser -r /etc/apparmor.d/usr.local.bin.devbox\n",
		`"/usr/local/bin/devbox" flags=(unconfined)`, "kernel.apparmor_restrict_unprivileged_userns=0",
	} {
		if !contains(fix, want) {
			t.Errorf("AppArmor fix lacks %q:\n%s", want, fix)
		}
	}
}
