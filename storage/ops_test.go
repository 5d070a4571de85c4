package storage

import (
	"os"
	"testing"
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
