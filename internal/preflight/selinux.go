package preflight

import (
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/devbox-dev/devbox/internal/project"
)

// seLinuxFacts is what the SELinux check reads.
type seLinuxFacts struct {
	enforce string // /sys/fs/selinux/enforce: "1", "0", or "" without SELinux
	domain  string // this process's context, user:role:type:level
	project string // the project directory
	label   string // its security.selinux label; "" when unreadable
}

func readSELinux(r Roots, projectDir string) seLinuxFacts {
	f := seLinuxFacts{enforce: readTrimmed(filepath.Join(r.SELinuxFS, "enforce")), project: projectDir}
	if f.enforce == "" {
		return f
	}
	f.domain = readTrimmed(filepath.Join(r.Proc, "self/attr/current"))
	buf := make([]byte, 256)
	if n, err := unix.Getxattr(projectDir, "security.selinux", buf); err == nil {
		f.label = strings.TrimRight(string(buf[:n]), "\x00")
	}
	return f
}

// projectDir is the project devbox would use from the current directory.
func projectDir() string {
	wd, err := os.Getwd()
	if err != nil {
		return "."
	}
	home, _ := os.UserHomeDir()
	if dir, _, err := project.Find(wd, home); err == nil {
		return dir
	}
	return wd
}

// seType returns the type field of an SELinux context, or "".
func seType(context string) string {
	parts := strings.Split(context, ":")
	if len(parts) < 3 {
		return ""
	}
	return parts[2]
}

// checkSELinux reports SELinux's mode, the domain devbox runs in and the
// project's label. devbox sets no SELinux labels: sandbox processes keep
// the caller's domain and the project is bound with its own labels, so an
// unconfined login (Fedora's default) needs nothing. A confined SELinux
// user (user_t, staff_t) may be denied user namespaces or mounts. It
// returns false without SELinux.
func checkSELinux(f seLinuxFacts) (Check, bool) {
	c := Check{Name: "selinux"}
	if f.enforce == "" {
		return c, false
	}
	label := f.label
	if label == "" {
		label = "unreadable"
	}
	where := "; project " + f.project + " labelled " + label
	if f.enforce != "1" {
		return c.ok("permissive" + where), true
	}
	if t := seType(f.domain); t != "" && t != "unconfined_t" {
		return c.warn("enforcing, and devbox runs confined as "+f.domain+where+
			": the policy may deny this domain user namespaces or mounts",
			"see the denials with 'sudo ausearch -m avc -ts recent'; log in as an unconfined SELinux user (sudo semanage login -l shows the mapping)"), true
	}
	return c.ok("enforcing; devbox runs as " + f.domain + where + " (devbox relabels nothing: sandbox processes keep your domain)"), true
}
