package preflight

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/devbox-dev/devbox/hint"
	"github.com/devbox-dev/devbox/internal/state"
)

// Sysctl files that decide whether an unprivileged user may create a user
// namespace. The first and last exist only on some kernels (Debian and
// Ubuntu patches).
const (
	sysctlUsernsClone = "/proc/sys/kernel/unprivileged_userns_clone"
	sysctlMaxUserns   = "/proc/sys/user/max_user_namespaces"
	sysctlAppArmor    = "/proc/sys/kernel/apparmor_restrict_unprivileged_userns"
)

// ProbeUserNS really creates a user namespace: it starts /bin/true in a new
// user and mount namespace with the caller's own id mapped to root, as the
// sandbox does. On failure it returns a *hint.Error naming the sysctl or
// AppArmor setting to change when one is the cause.
func ProbeUserNS() error {
	err := tryUserNS()
	if err == nil {
		return nil
	}
	return diagnoseUserNS(err, readSysctl, executable())
}

func tryUserNS() error {
	cmd := exec.Command(truePath())
	cmd.SysProcAttr = &syscall.SysProcAttr{
		// CLONE_NEWNS too: with Ubuntu's AppArmor restriction the user
		// namespace itself is created but has no capabilities, so only a
		// second namespace owned by it shows the refusal.
		Cloneflags:  syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}},
	}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("create user namespace: %w", err)
	}
	return nil
}

func truePath() string {
	for _, p := range []string{"/bin/true", "/usr/bin/true"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return "/bin/true"
}

// diagnoseUserNS explains a failed user namespace creation from the sysctls
// that can cause it. readSysctl returns a file's trimmed content or "".
func diagnoseUserNS(err error, readSysctl func(string) string, exe string) error {
	switch {
	case readSysctl(sysctlUsernsClone) == "0":
		return hint.Wrap(fmt.Errorf("unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone=0): %w", err),
			sysctlFix("kernel.unprivileged_userns_clone", "1"))
	case readSysctl(sysctlMaxUserns) == "0" || errors.Is(err, syscall.ENOSPC):
		return hint.Wrap(fmt.Errorf("user namespace limit reached (user.max_user_namespaces=%s): %w", readSysctl(sysctlMaxUserns), err),
			sysctlFix("user.max_user_namespaces", "28633"))
	case readSysctl(sysctlAppArmor) == "1":
		return hint.Wrap(fmt.Errorf("AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns=1): %w", err),
			appArmorFix(exe))
	case errors.Is(err, syscall.EPERM):
		return hint.Wrap(fmt.Errorf("user namespaces are not permitted here: %w", err),
			"if devbox runs inside a container, its seccomp profile or runtime blocks user namespaces: run devbox on the host, or allow unshare(CLONE_NEWUSER) in that container")
	}
	return err
}

// sysctlFix sets a sysctl now and on every boot.
func sysctlFix(key, value string) string {
	return fmt.Sprintf("sudo sysctl -w %s=%s\necho %s=%s | sudo tee /etc/sysctl.d/50-devbox.conf", key, value, key, value)
}

func readSysctl(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// executable is the devbox binary users run: the client next to this one
// when this is devbox-front, devbox-engine or devbox-supervisor (profiles
// and hints name the client).
func executable() string {
	exe, err := os.Executable()
	if err != nil {
		return "/usr/local/bin/devbox"
	}
	if b := filepath.Base(exe); b == state.FrontName || b == state.EngineName || b == state.SupervisorName {
		return filepath.Join(filepath.Dir(exe), state.ClientName)
	}
	return exe
}
