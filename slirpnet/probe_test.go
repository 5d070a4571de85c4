package slirpnet

import (
	"os"
	"strings"
	"testing"

	"github.com/devbox-dev/devbox/internal/testutil"
)

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseSlirp4netnsFeatures(t *testing.T) {
	tests := []struct {
		name    string
		version string
		sandbox bool
		err     string
	}{
		// recorded from Debian 12's slirp4netns
		{"slirp4netns-1.2.0", "1.2.0", true, ""},
		// the help text of the 0.3 series, which lacks --netns-type
		{"slirp4netns-0.3.0", "0.3.0", false, "too old: need >= 0.4.0"},
	}
	for _, tt := range tests {
		f, err := ParseSlirp4netnsFeatures(readTestdata(t, tt.name+".version"), readTestdata(t, tt.name+".help"))
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: error %v, want %q", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil || f.Version != tt.version || f.Sandbox != tt.sandbox || !f.Seccomp {
			t.Errorf("%s: %+v, %v", tt.name, f, err)
		}
	}
	if _, err := ParseSlirp4netnsFeatures("garbage", ""); err == nil {
		t.Error("garbage version accepted")
	}
}

func TestParsePastaFeatures(t *testing.T) {
	f, err := ParsePastaFeatures(readTestdata(t, "pasta-2023.version"), readTestdata(t, "pasta-2023.help"))
	if err != nil || !f.ConfigNet {
		t.Errorf("pasta 2023: %+v, %v", f, err)
	}
	if _, err := ParsePastaFeatures("pasta x", "Usage: pasta"); err == nil {
		t.Error("pasta without --config-net accepted")
	}
}

func TestProbeCaches(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	path, err := lookHelper(Slirp4netns)
	if err != nil {
		testutil.Skip(t, "slirp4netns not installed: %v", err)
	}
	f1, err := Probe("slirp4netns", path)
	if err != nil {
		t.Fatal(err)
	}
	if len(loadCache()) != 1 {
		t.Fatalf("cache has %d entries, want 1", len(loadCache()))
	}
	f2, _ := Probe("slirp4netns", path)
	if f1 != f2 {
		t.Errorf("cached probe %+v differs from %+v", f2, f1)
	}
}
