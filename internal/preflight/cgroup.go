package preflight

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// notEnforced ends every cgroup warning: what the user loses.
const notEnforced = "limits (memory, pids, cpu) will not be enforced"

// ParseMountinfoCgroup2 returns the mount point of the first cgroup2 file
// system in /proc/self/mountinfo content. Hybrid hosts mount it at
// /sys/fs/cgroup/unified, unified hosts at /sys/fs/cgroup.
func ParseMountinfoCgroup2(data []byte) (string, bool) {
	for _, line := range bytes.Split(data, []byte("\n")) {
		// id parent major:minor root mountpoint options [optional...] - fstype source super
		f := strings.Fields(string(line))
		sep := indexOf(f, "-")
		if sep < 6 || sep+1 >= len(f) || f[sep+1] != "cgroup2" {
			continue
		}
		return unescapeMountinfo(f[4]), true
	}
	return "", false
}

func indexOf(f []string, s string) int {
	for i, v := range f {
		if v == s {
			return i
		}
	}
	return -1
}

// unescapeMountinfo undoes the kernel's octal escapes (\040 for a space).
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// ParseProcCgroup returns the process's cgroup v2 path from /proc/PID/cgroup
// content: the "0::/path" line. It fails on a v1-only host.
func ParseProcCgroup(data []byte) (string, error) {
	for _, line := range bytes.Split(data, []byte("\n")) {
		if p, ok := bytes.CutPrefix(bytes.TrimSpace(line), []byte("0::")); ok {
			if len(p) == 0 || p[0] != '/' {
				return "", fmt.Errorf("parse cgroup line %q: path is not absolute", line)
			}
			return string(p), nil
		}
	}
	return "", errors.New("parse /proc/self/cgroup: no cgroup v2 line (0::)")
}

// checkCgroup reports whether this process's own cgroup v2 group has
// controllers and can be written, which is what a delegated subtree needs.
func checkCgroup() Check {
	c := Check{Name: "cgroup v2"}
	dir, err := ownCgroup2Dir()
	if err != nil {
		return c.warn(err.Error()+": "+notEnforced, "boot with systemd.unified_cgroup_hierarchy=1 (cgroup v2 only)")
	}
	ctrl := readSysctl(filepath.Join(dir, "cgroup.controllers"))
	if miss := missingControllers(ctrl); len(miss) > 0 {
		return c.warn(fmt.Sprintf("controllers %s not in %s (cgroup v1 holds them?): %s", strings.Join(miss, ", "), dir, notEnforced),
			"boot with systemd.unified_cgroup_hierarchy=1 (cgroup v2 only)")
	}
	for _, p := range []string{dir, filepath.Join(dir, "cgroup.procs"), filepath.Join(dir, "cgroup.subtree_control")} {
		if err := unix.Access(p, unix.W_OK); err != nil {
			return c.warn(fmt.Sprintf("%s is not writable (%v), so not delegated: %s", p, err, notEnforced),
				"systemd-run --user --scope -p Delegate=yes -- devbox enter")
		}
	}
	return c.ok(fmt.Sprintf("%s delegated, controllers: %s", dir, ctrl))
}

// ownCgroup2Dir returns the directory of this process's cgroup v2 group.
// Inside a cgroup namespace the path is relative to the namespace's root,
// which is also what the mount shows, so joining them is right.
func ownCgroup2Dir() (string, error) {
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return "", fmt.Errorf("read mountinfo: %w", err)
	}
	mnt, ok := ParseMountinfoCgroup2(mi)
	if !ok {
		return "", errors.New("no cgroup2 file system mounted")
	}
	pc, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return "", fmt.Errorf("read cgroup: %w", err)
	}
	p, err := ParseProcCgroup(pc)
	if err != nil {
		return "", err
	}
	return filepath.Join(mnt, p), nil
}

// missingControllers returns which of memory, pids and cpu a
// cgroup.controllers line lacks.
func missingControllers(line string) []string {
	have := strings.Fields(line)
	var miss []string
	for _, want := range []string{"memory", "pids", "cpu"} {
		if indexOf(have, want) < 0 {
			miss = append(miss, want)
		}
	}
	return miss
}
