package storage

import (
	"errors"
	"os"
	"strings"
	"testing"

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
