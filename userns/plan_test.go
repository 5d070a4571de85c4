package userns

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/devbox-dev/devbox/hint"
	"github.com/devbox-dev/devbox/subid"
)

func lookPathAll(name string) (string, error) { return "/usr/bin/" + name, nil }

func lookPathNone(string) (string, error) { return "", errors.New("not found") }

func TestNewPlanFrom(t *testing.T) {
	const aliceRanges = "alice:100000:65536\nalice:300000:1000\n"
	tests := []struct {
		name           string
		uid, gid       uint32
		user           string
		subuid, subgid string
		lookPath       func(string) (string, error)
		want           Plan
		warn           bool
	}{
		{"root without ranges", 0, 0, "root", "alice:100000:65536\n", "", lookPathNone,
			Plan{UID: []Mapping{{0, 0, 1}, {1, 1, 65535}}, GID: []Mapping{{0, 0, 1}, {1, 1, 65535}}}, false},
		{"root with ranges", 0, 0, "root", "root:1000000:65536\n", "0:2000000:65536\n", lookPathAll,
			Plan{UID: []Mapping{{0, 0, 1}, {1, 1000000, 65536}}, GID: []Mapping{{0, 0, 1}, {1, 2000000, 65536}}}, false},
		{"user with ranges", 1000, 1000, "alice", aliceRanges, aliceRanges, lookPathAll,
			Plan{
				UID:     []Mapping{{0, 1000, 1}, {1, 100000, 65536}, {65537, 300000, 1000}},
				GID:     []Mapping{{0, 1000, 1}, {1, 100000, 65536}, {65537, 300000, 1000}},
				Helpers: true, NewUIDMap: "/usr/bin/newuidmap", NewGIDMap: "/usr/bin/newgidmap",
			}, false},
		{"user with different gid", 1000, 50, "alice", aliceRanges, "alice:700000:10\n", lookPathAll,
			Plan{
				UID:     []Mapping{{0, 1000, 1}, {1, 100000, 65536}, {65537, 300000, 1000}},
				GID:     []Mapping{{0, 50, 1}, {1, 700000, 10}},
				Helpers: true, NewUIDMap: "/usr/bin/newuidmap", NewGIDMap: "/usr/bin/newgidmap",
			}, false},
		{"user without ranges", 1000, 1000, "alice", "", "", lookPathAll,
			Plan{UID: []Mapping{{0, 1000, 1}}, GID: []Mapping{{0, 1000, 1}}}, true},
		{"user without subgid", 1000, 1000, "alice", aliceRanges, "", lookPathAll,
			Plan{UID: []Mapping{{0, 1000, 1}}, GID: []Mapping{{0, 1000, 1}}}, true},
		{"user without helpers", 1000, 1000, "alice", aliceRanges, aliceRanges, lookPathNone,
			Plan{UID: []Mapping{{0, 1000, 1}}, GID: []Mapping{{0, 1000, 1}}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NewPlanFrom(tt.uid, tt.gid, tt.user, []byte(tt.subuid), []byte(tt.subgid), tt.lookPath)
			if (got.Warning != "") != tt.warn {
				t.Errorf("Warning = %q, want warning: %v", got.Warning, tt.warn)
			}
			got.Warning = ""
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("plan = %+v\nwant   %+v", got, tt.want)
			}
		})
	}
}

func TestPlanSize(t *testing.T) {
	tests := []struct {
		p    Plan
		want uint32
	}{
		{Plan{}, 0},
		{Plan{UID: []Mapping{{0, 1000, 1}}}, 1},
		{Plan{UID: []Mapping{{0, 1000, 1}, {1, 100000, 65536}}, GID: []Mapping{{0, 1, 1}}}, 65537},
		{Plan{UID: []Mapping{{0, 0, 4294967295}, {0, 0, 10}}}, 4294967295},
	}
	for _, tt := range tests {
		if got := tt.p.Size(); got != tt.want {
			t.Errorf("Size(%v) = %d, want %d", tt.p.UID, got, tt.want)
		}
	}
}

func TestStackDropsRangesPastIDSpace(t *testing.T) {
	got := stack(1000, []subid.Range{{Start: 100000, Count: 4294967000}, {Start: 1, Count: 1000}})
	if len(got) != 2 {
		t.Errorf("stack = %v, want the second range dropped", got)
	}
}

func TestSingleIDWarning(t *testing.T) {
	const others = "bob:100000:65536\n"
	tests := []struct {
		name           string
		subuid, subgid string
		lookPath       func(string) (string, error)
		want           []string
		notWant        []string
	}{
		{"no ranges", others, others, lookPathAll, []string{
			"no subordinate ids for alice in /etc/subuid and /etc/subgid",
			"only your own id is mapped", "apt's _apt", "postgres",
			"Fix: sudo usermod --add-subuids 165536-231071 --add-subgids 165536-231071 alice",
		}, []string{"uidmap"}},
		{"no subgid", "alice:200000:65536\n", "", lookPathAll, []string{
			"in /etc/subgid:", "sudo usermod --add-subgids 265536-331071 alice",
		}, []string{"--add-subuids"}},
		{"no helpers", "alice:200000:65536\n", "alice:200000:65536\n", lookPathNone, []string{
			"newuidmap/newgidmap not found in PATH", "sudo apt-get install uidmap", "sudo dnf install shadow-utils",
		}, []string{"usermod"}},
		{"neither", "", "", lookPathNone, []string{
			"not found in PATH and no subordinate ids", "apt-get install uidmap",
			"--add-subuids 100000-165535 --add-subgids 100000-165535 alice",
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := NewPlanFrom(1000, 1000, "alice", []byte(tt.subuid), []byte(tt.subgid), tt.lookPath).Warning
			for _, s := range tt.want {
				if !strings.Contains(w, s) {
					t.Errorf("warning lacks %q:\n%s", s, w)
				}
			}
			for _, s := range tt.notWant {
				if strings.Contains(w, s) {
					t.Errorf("warning has %q:\n%s", s, w)
				}
			}
		})
	}
}

func TestHelperArgs(t *testing.T) {
	tests := []struct {
		m    []Mapping
		want []string
	}{
		{nil, []string{"/usr/bin/newuidmap", "4242"}},
		{[]Mapping{{0, 1000, 1}}, []string{"/usr/bin/newuidmap", "4242", "0", "1000", "1"}},
		{[]Mapping{{0, 1000, 1}, {1, 100000, 65536}}, []string{"/usr/bin/newuidmap", "4242", "0", "1000", "1", "1", "100000", "65536"}},
		{[]Mapping{{4294967294, 4294967295, 1}}, []string{"/usr/bin/newuidmap", "4242", "4294967294", "4294967295", "1"}},
	}
	for _, tt := range tests {
		if got := HelperArgs("/usr/bin/newuidmap", 4242, tt.m); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("HelperArgs(%v) = %v, want %v", tt.m, got, tt.want)
		}
	}
}

func TestFormatMap(t *testing.T) {
	got := formatMap([]Mapping{{0, 1000, 1}, {1, 100000, 65536}})
	if want := "0 1000 1\n1 100000 65536\n"; got != want {
		t.Errorf("formatMap = %q, want %q", got, want)
	}
}

func TestHelperHint(t *testing.T) {
	base := errors.New("run newuidmap: exit status 1")
	tests := []struct{ stderr, want string }{
		{"newuidmap: write to uid_map failed: Operation not permitted", "sudo chmod u+s /usr/bin/newuidmap"},
		{"newuidmap: uid range [1-65537) -> [100000-165536) not allowed", "/etc/subuid"},
		{"newuidmap: Could not open proc directory for target 4242", ""},
	}
	for _, tt := range tests {
		err := helperHint("/usr/bin/newuidmap", base, tt.stderr)
		if h := hint.Of(err); !strings.Contains(h, tt.want) || (h == "") != (tt.want == "") {
			t.Errorf("hint for %q = %q, want it to contain %q", tt.stderr, h, tt.want)
		}
		if !errors.Is(err, base) {
			t.Error("hint lost the cause")
		}
	}
}

func TestFitOuter(t *testing.T) {
	root := NewPlanFrom(0, 0, "root", nil, nil, lookPathNone)
	tests := []struct {
		name     string
		uid, gid string
		want     []Mapping
		warn     bool
	}{
		{"host", "         0          0 4294967295\n", "         0          0 4294967295\n", []Mapping{{0, 0, 1}, {1, 1, 65535}}, false},
		{"rootless podman", "0 1000 1\n1 100000 65536\n", "0 1000 1\n1 100000 65536\n", []Mapping{{0, 0, 1}, {1, 1, 65535}}, false},
		{"pod with 65536", "0 2147418112 65536\n", "0 2147418112 65536\n", []Mapping{{0, 0, 1}, {1, 1, 65535}}, false},
		{"1000 ids", "0 1000 1\n1 100000 999\n", "0 1000 1\n1 100000 999\n", []Mapping{{0, 0, 1}, {1, 1, 999}}, true},
		{"root only", "0 1000 1\n", "0 1000 1\n", []Mapping{{0, 0, 1}}, true},
		{"gap", "0 1000 1\n1 5000 10\n100 6000 5\n", "0 0 4294967295\n", []Mapping{{0, 0, 1}, {1, 1, 10}, {11, 100, 5}}, true},
		{"garbage lines", "junk\n0 0 4294967295\n", "0 0 4294967295\n", []Mapping{{0, 0, 1}, {1, 1, 65535}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := FitOuter(root, tt.uid, tt.gid)
			if !slices.Equal(got.UID, tt.want) {
				t.Errorf("UID = %v, want %v", got.UID, tt.want)
			}
			if (got.Warning != "") != tt.warn || strings.Contains(got.Warning, "\n") {
				t.Errorf("Warning = %q, want one line: %v", got.Warning, tt.warn)
			}
		})
	}
}

func TestHelpersReach(t *testing.T) {
	lookPath := func(n string) (string, error) { return "/usr/bin/" + n, nil }
	full := NewPlanFrom(1000, 1000, "alice", []byte("alice:100000:65536\n"), []byte("alice:100000:65536\n"), lookPath)
	if !full.Helpers {
		t.Fatalf("plan with subordinate ids and helpers: %+v", full)
	}
	tests := []struct {
		name     string
		uid, gid string
		single   bool
	}{
		{"host", "0 0 4294967295\n", "0 0 4294967295\n", false},
		{"container with the range", "0 0 1\n100000 100000 65536\n", "0 0 4294967295\n", false},
		// A devbox sandbox's session as the invoking user (keep-id).
		{"devbox self session", "1000 0 1\n0 1 1000\n1001 1001 64535\n", "1000 0 1\n0 1 1000\n1001 1001 64535\n", true},
		{"uids only half there", "0 0 1\n100000 100000 100\n", "0 0 4294967295\n", true},
		{"gids missing", "0 0 4294967295\n", "0 1000 1\n", true},
		{"unreadable map", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := HelpersReach(full, tt.uid, tt.gid)
			if !tt.single {
				if !slices.Equal(got.UID, full.UID) || !got.Helpers || got.Warning != "" {
					t.Errorf("got %+v, want the full plan kept", got)
				}
				return
			}
			want := []Mapping{{0, 1000, 1}}
			if !slices.Equal(got.UID, want) || !slices.Equal(got.GID, want) || got.Helpers {
				t.Errorf("got %+v, want the single-id map without helpers", got)
			}
			for _, w := range []string{"user namespace", "100000-165535", "setuid", "only your own id", "Fix: "} {
				if !strings.Contains(got.Warning, w) {
					t.Errorf("Warning lacks %q:\n%s", w, got.Warning)
				}
			}
		})
	}
}

func TestWithoutSetuid(t *testing.T) {
	lookPath := func(n string) (string, error) { return "/usr/bin/" + n, nil }
	full := NewPlanFrom(1000, 1000, "alice", []byte("alice:100000:65536\n"), []byte("alice:100000:65536\n"), lookPath)
	got := WithoutSetuid(full)
	if want := []Mapping{{0, 1000, 1}}; !slices.Equal(got.UID, want) || !slices.Equal(got.GID, want) || got.Helpers {
		t.Errorf("got %+v, want the single-id map without helpers", got)
	}
	for _, w := range []string{"no_new_privs", "setuid", "only your own id", "allowPrivilegeEscalation"} {
		if !strings.Contains(got.Warning, w) {
			t.Errorf("Warning lacks %q:\n%s", w, got.Warning)
		}
	}
}
