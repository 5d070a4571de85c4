package session

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/devbox-dev/devbox/internal/project"
)

func TestParseStart(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want StartLine
		ok   bool
	}{
		{[]string{"run", "--rm", "--", "true"}, StartLine{Argv: []string{"true"}}, true},
		{[]string{"run", "--rm", "make", "-j2"}, StartLine{Argv: []string{"make", "-j2"}}, true},
		{[]string{"run", "--network", "none", "--rm", "--", "true"}, StartLine{Network: "none", NetworkSet: true, Argv: []string{"true"}}, true},
		{[]string{"run", "--rm", "--network=pasta", "--name=x", "ls"}, StartLine{Name: "x", Network: "pasta", NetworkSet: true, Argv: []string{"ls"}}, true},
		{[]string{"run", "--name", "x", "--rm", "--", "-v"}, StartLine{Name: "x", Argv: []string{"-v"}}, true},
		{[]string{"run", "--trace", "--rm", "true"}, StartLine{Trace: true, Argv: []string{"true"}}, true},
		{[]string{"--trace", "run", "--rm", "--", "true"}, StartLine{Trace: true, Argv: []string{"true"}}, true},
		{[]string{"run", "--rm", "--trace", "--trace", "true"}, StartLine{}, false}, // twice
		{[]string{"--trace", "run", "--trace", "--rm", "true"}, StartLine{}, false},
		{[]string{"run", "--rm", "--trace=false", "true"}, StartLine{}, false},
		{[]string{"run", "--rm", "--network", ""}, StartLine{}, false}, // no command
		{[]string{"run", "--", "true"}, StartLine{}, false},            // no --rm
		{[]string{"run", "--rm", "--rm", "true"}, StartLine{}, false},  // twice
		{[]string{"run", "--rm", "--user", "root", "true"}, StartLine{}, false},
		{[]string{"run", "--rm", "-t", "sh"}, StartLine{}, false},
		{[]string{"run", "--rm", "--name", "", "true"}, StartLine{}, false},
		{[]string{"run", "--rm", "--name=a", "--name=b", "true"}, StartLine{}, false},
		{[]string{"run", "--rm", "--network"}, StartLine{}, false},
		{[]string{"run", "--rm", "--"}, StartLine{}, false},
		{[]string{"run", "--rm=true", "true"}, StartLine{}, false},
		{[]string{"enter", "--rm"}, StartLine{}, false},
		{[]string{"run", "--rm", "-network", "none", "true"}, StartLine{}, false},
		{[]string{"run", "--rm", "--network", "../x", "true"}, StartLine{}, false}, // names a ticket's file
		{[]string{"run", "--rm", "--network=Pasta", "true"}, StartLine{}, false},
	} {
		got, ok := ParseStart(tc.args)
		if ok != tc.ok || ok && !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseStart(%q) = %+v, %v; want %+v, %v", tc.args, got, ok, tc.want, tc.ok)
		}
	}
}

func TestUniqueName(t *testing.T) {
	for _, tc := range []struct {
		name, kind, prefix string
	}{
		{"app", "rm", "app-rm-"},
		{"app", "export", "app-export-"},
		{strings.Repeat("n", 63), "export", strings.Repeat("n", 47) + "-export-"},
		{strings.Repeat("n", 55), "rm", strings.Repeat("n", 51) + "-rm-"},
	} {
		got := UniqueName(tc.name, tc.kind)
		if !strings.HasPrefix(got, tc.prefix) || len(got) != len(tc.prefix)+8 || project.ValidateName(got) != nil {
			t.Errorf("UniqueName(%q, %q) = %q, want %s + 8 hex digits, a valid name", tc.name, tc.kind, got, tc.prefix)
		}
	}
}

func fullStartTicket() StartTicket {
	return StartTicket{Ticket: fullTicket(), Pin: "p-89415e", Network: "", NetworkSet: true, UID: 1003, GID: 4294967295,
		EnvSum: "ab12", Hidden: []string{"/run/user/1003/devbox", "/h/.local/share/devbox"}, RC: "/h/.local/share/devbox/shellinit",
		Present: []string{"/a b", "/c\n"}, Absent: []string{"/h/.gitconfig"}, Hostname: "box",
		Spec: `{"name":"\u0000devbox:name","state_dir":"\u0000devbox:state_dir"}`, ConfigRecord: "{\n  \"network\": \"none\"\n}"}
}

// A start ticket reads back as it was written.
func TestStartTicketRoundTrip(t *testing.T) {
	tk := fullStartTicket()
	got, err := DecodeStartTicket(tk.Encode())
	if err != nil || !reflect.DeepEqual(got, tk) {
		t.Fatalf("round trip: %v\n got %+v\nwant %+v", err, got, tk)
	}
}

// Anything but what Encode writes is refused, and so is a join ticket.
func TestDecodeStartTicketRefuses(t *testing.T) {
	good := string(fullStartTicket().Encode())
	for name, text := range map[string]string{
		"join ticket":      string(fullTicket().Encode()),
		"another version":  strings.Replace(good, startMagic, "devbox start ticket 0", 1),
		"no spec":          startMagic + "\npin \"p\"\nconfig_record \"{}\"\n",
		"repeated network": good + "network \"none\"\n",
		"bad uid":          good + "uid -1\n",
		"unknown key":      good + "size 1\n",
	} {
		if _, err := DecodeStartTicket([]byte(text)); err == nil {
			t.Errorf("%s: DecodeStartTicket accepted %q", name, text)
		}
	}
}

// FuzzDecodeStartTicket: any input is refused or reads as a ticket that
// writes back to the same ticket; none panics.
func FuzzDecodeStartTicket(f *testing.F) {
	f.Add(fullStartTicket().Encode())
	f.Add([]byte(startMagic + "\npin \"p\"\nspec \"{}\"\nconfig_record \"{}\"\nnetwork \"\"\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		tk, err := DecodeStartTicket(b)
		if err != nil {
			return
		}
		again, err := DecodeStartTicket(tk.Encode())
		if err != nil || !reflect.DeepEqual(again, tk) {
			t.Fatalf("%q decoded to %+v, which writes back as %+v (%v)", b, tk, again, err)
		}
	})
}

// The placeholders are found as encoding/json writes them, and FillSpec
// puts each start's own values there, escaped.
func TestFillSpec(t *testing.T) {
	b, err := json.Marshal(map[string]string{"name": SpecName, "state_dir": SpecStateDir, "hostname": SpecHostname, "project_dir": "/p"})
	if err != nil {
		t.Fatal(err)
	}
	if !SpecPlaceholders(b, "p-rm-1", true) || SpecPlaceholders(b, "p-rm-1", false) || SpecPlaceholders(b, "/p", true) {
		t.Fatalf("SpecPlaceholders wrong on %s", b)
	}
	tk := StartTicket{Spec: string(b)}
	var got map[string]string
	if err := json.Unmarshal(tk.FillSpec("p-rm-1", "/run/\"x\"/p-rm-1", func(n string) string { return "h-" + n }), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"name": "p-rm-1", "state_dir": "/run/\"x\"/p-rm-1", "hostname": "h-p-rm-1", "project_dir": "/p"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("FillSpec = %v, want %v", got, want)
	}
	tk.Hostname = "fixed"
	if err := json.Unmarshal(tk.FillSpec("n", "/d", nil), &got); err != nil || got["hostname"] != "fixed" {
		t.Errorf("FillSpec with the config's hostname = %v (%v)", got, err)
	}
}

// EnvSum ignores order and what a shell changes between two commands, and
// nothing else.
func TestEnvSum(t *testing.T) {
	a := EnvSum([]string{"HOME=/h", "PATH=/bin", "_=/usr/bin/devbox", "OLDPWD=/x", "_DEVBOX_EARLY_SUPERVISOR=1,2,3,4"})
	if b := EnvSum([]string{"PATH=/bin", "SHLVL=3", "HOME=/h", "PWD=/y", "HYPERFINE_RANDOMIZED_ENVIRONMENT_OFFSET=XXX"}); a != b {
		t.Errorf("EnvSum differs for the same environment: %s, %s", a, b)
	}
	if d := EnvSum([]string{"HOME=/h", "PATH=/bin", "DEVBOX_TRACE=1"}); d != a {
		t.Errorf("EnvSum counts DEVBOX_TRACE, which only times the start: %s, %s", a, d)
	}
	if c := EnvSum([]string{"HOME=/h", "PATH=/bin", "XDG_RUNTIME_DIR=/run/user/1"}); c == a {
		t.Error("EnvSum ignores a variable a start depends on")
	}
}

// Each command line has a ticket of its own, in the runtime root.
func TestStartTicketPath(t *testing.T) {
	for _, tc := range []struct {
		network string
		set     bool
		want    string
	}{
		{"", false, "/r/p-1a2b3c.start-ticket"},
		{"none", true, "/r/p-1a2b3c.net-none.start-ticket"},
		{"pasta", true, "/r/p-1a2b3c.net-pasta.start-ticket"},
	} {
		if got := StartTicketPath("/r", "p-1a2b3c", tc.network, tc.set); got != tc.want || !IsStartTicket(got) {
			t.Errorf("StartTicketPath(%q, %v) = %q, want %q", tc.network, tc.set, got, tc.want)
		}
	}
}

// A runtime root keeps the newest maxStartTickets tickets, and nothing
// else is touched.
func TestPruneStartTickets(t *testing.T) {
	root := t.TempDir()
	for i := 0; i < maxStartTickets+3; i++ {
		p := StartTicketPath(root, fmt.Sprintf("p%d-1a2b3c", i), "", false)
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		at := time.Unix(int64(1000+i), 0)
		os.Chtimes(p, at, at)
	}
	os.Mkdir(filepath.Join(root, "p0-1a2b3c"), 0o700)
	os.WriteFile(filepath.Join(root, "p0-1a2b3c.lock"), nil, 0o600)
	PruneStartTickets(root)
	for i := 0; i < maxStartTickets+3; i++ {
		_, err := os.Stat(StartTicketPath(root, fmt.Sprintf("p%d-1a2b3c", i), "", false))
		if gone := err != nil; gone != (i < 3) {
			t.Errorf("ticket %d: gone=%v, want the 3 oldest gone", i, gone)
		}
	}
	for _, n := range []string{"p0-1a2b3c", "p0-1a2b3c.lock"} {
		if _, err := os.Stat(filepath.Join(root, n)); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
}
