package storage

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/devbox-dev/devbox/storage/driver"
	cstorage "go.podman.io/storage"
)

func TestParseHostOf0(t *testing.T) {
	for in, want := range map[string]int{
		"         0       1001          1\n         1     100000      65536\n": 1001,
		"0 0 4294967295\n": 0,
		"":                 0,
		"5 1000 1\n":       0,
	} {
		if got := parseHostOf0(in); got != want {
			t.Errorf("parseHostOf0(%q) = %d, want %d", in, got, want)
		}
	}
}

// containers/storage re-execs into a user namespace of its own unless these
// are set; the store must always open in ours.
func TestConfigureStorageEnvPinsNoSecondUserNS(t *testing.T) {
	t.Setenv(envUsernsConfigured, "")
	t.Setenv(envRootlessUID, "")
	configureStorageEnv("1001")
	if os.Getenv(envUsernsConfigured) != "done" || os.Getenv(envRootlessUID) != "1001" {
		t.Fatalf("env = %q %q", os.Getenv(envUsernsConfigured), os.Getenv(envRootlessUID))
	}
}

func TestSandboxOfContainer(t *testing.T) {
	tests := []struct {
		c    cstorage.Container
		want string
	}{
		{cstorage.Container{ID: "abc", Names: []string{"devbox-web-123456"}}, "web-123456"},
		{cstorage.Container{ID: "abc", Names: []string{"other", "devbox-x"}}, "x"},
		{cstorage.Container{ID: "abc", Names: []string{"podman-made"}}, "podman-made"},
		{cstorage.Container{ID: "abc"}, "abc"},
	}
	for _, tt := range tests {
		if got := sandboxOfContainer(tt.c); got != tt.want {
			t.Errorf("sandboxOfContainer(%v) = %q, want %q", tt.c.Names, got, tt.want)
		}
	}
	err := InUseError("debian:12", []string{"a", "b"})
	for _, w := range []string{"image is in use by sandboxes: a, b", "'devbox rm --force a b'", "'devbox image rm --force debian:12'"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("InUseError = %q, lacks %q", err, w)
		}
	}
	if !errors.Is(err, cstorage.ErrImageUsedByContainer) {
		t.Errorf("InUseError does not wrap ErrImageUsedByContainer")
	}
}

func TestVFSNotice(t *testing.T) {
	t.Setenv("DEVBOX_STORAGE_DRIVER", "")
	c := driver.Choice{Driver: DriverVFS, Why: "kernel 5.10 is older than 5.13; /dev/fuse: no such file or directory", Fallback: true}
	if n := vfsNotice(DriverVFS, c); !strings.HasPrefix(n, "devbox: warning: the image store uses vfs") || !strings.Contains(n, "/dev/fuse: no such file") || strings.Contains(n, "\n") {
		t.Errorf("vfs fallback: notice %q, want one warning line with the reason", n)
	}
	if n := vfsNotice(DriverOverlay, c); n != "" {
		t.Errorf("overlay: notice %q, want none", n)
	}
	t.Setenv("DEVBOX_STORAGE_DRIVER", "vfs")
	if n := vfsNotice(DriverVFS, c); n != "" {
		t.Errorf("vfs forced: notice %q, want none", n)
	}
}
