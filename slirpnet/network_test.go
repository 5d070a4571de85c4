package slirpnet

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/devbox-dev/devbox/hint"
)

func TestDrivers(t *testing.T) {
	tests := []struct {
		d                      Driver
		name                   string
		netns, attaches, ports bool
		helper                 string
	}{
		{Slirp4netns, "slirp4netns", true, true, true, "slirp4netns"},
		{Pasta, "pasta", true, true, true, "pasta"},
		{Host, "host", false, false, false, ""},
		{None, "none", true, false, false, ""},
		{Driver{}, "", true, false, false, ""},
	}
	for _, tt := range tests {
		d := tt.d
		if d.Name() != tt.name || d.String() != tt.name || d.NetNS() != tt.netns || d.Attaches() != tt.attaches || d.Ports() != tt.ports || d.Helper() != tt.helper {
			t.Errorf("%q: name %q netns %v attaches %v ports %v helper %q", tt.name, d.Name(), d.NetNS(), d.Attaches(), d.Ports(), d.Helper())
		}
		if d.IsZero() != (tt.name == "") {
			t.Errorf("%q: IsZero = %v", tt.name, d.IsZero())
		}
	}
	if got := Names(); !slices.Equal(got, []string{"slirp4netns", "pasta", "host", "none"}) {
		t.Errorf("Names = %q", got)
	}
	if got := PortNames(); !slices.Equal(got, []string{"slirp4netns", "pasta"}) {
		t.Errorf("PortNames = %q", got)
	}
}

func TestParseDriver(t *testing.T) {
	for _, d := range Drivers() {
		if got, err := ParseDriver(d.Name()); err != nil || got != d {
			t.Errorf("ParseDriver(%q) = %v, %v", d.Name(), got, err)
		}
	}
	if got, err := ParseDriver(""); err != nil || !got.IsZero() {
		t.Errorf("ParseDriver(\"\") = %v, %v; want the zero Driver", got, err)
	}
	if _, err := ParseDriver("hots"); err == nil || !strings.Contains(err.Error(), `"hots"`) || !strings.Contains(err.Error(), "slirp4netns, pasta, host, none") {
		t.Errorf("ParseDriver(hots): %v", err)
	}
}

// The Spec carries a driver as its name, so the JSON of the launch
// contract is what it was with a string.
func TestDriverJSON(t *testing.T) {
	type spec struct {
		Network Driver `json:"network"`
	}
	for _, d := range append(Drivers(), Driver{}) {
		b, err := json.Marshal(spec{d})
		if want := `{"network":"` + d.Name() + `"}`; err != nil || string(b) != want {
			t.Errorf("marshal %v = %s, %v; want %s", d, b, err, want)
		}
		var back spec
		if err := json.Unmarshal(b, &back); err != nil || back.Network != d {
			t.Errorf("unmarshal %s = %v, %v", b, back.Network, err)
		}
	}
	var s spec
	if err := json.Unmarshal([]byte(`{"network":"wifi"}`), &s); err == nil {
		t.Error("unmarshal of an unknown driver name: no error")
	}
}

func TestIsHelperName(t *testing.T) {
	for comm, want := range map[string]bool{
		"slirp4netns": true, "pasta": true, "passt": true, "passt.avx2": true, "pasta.avx2": true,
		"bash": false, "pastaX": false, "": false,
	} {
		if got := isHelperName(comm); got != want {
			t.Errorf("isHelperName(%q) = %v, want %v", comm, got, want)
		}
	}
}

func TestDefaultWithoutHelpers(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	d, err := Default()
	if err == nil {
		t.Fatalf("Default with an empty PATH = %v", d)
	}
	if want := "no user-mode network helper found (slirp4netns or pasta)"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	if want := "install one: 'sudo apt-get install slirp4netns' (or passt for pasta); or run with --network none (loopback only)"; hint.Of(err) != want {
		t.Errorf("hint %q, want %q", hint.Of(err), want)
	}
}
