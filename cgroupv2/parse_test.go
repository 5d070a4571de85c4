package cgroupv2

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseProcCgroup(t *testing.T) {
	tests := []struct {
		file, want string
		wantErr    bool
	}{
		{"cgroup-v1", "", true},
		{"cgroup-hybrid", "/", false},
		{"cgroup-systemd-user", "/user.slice/user-1000.slice/user@1000.service/app.slice/app-org.gnome.Terminal.slice/vte-spawn-6b2f3c1e.scope", false},
		{"cgroup-ssh-session", "/user.slice/user-1000.slice/session-4.scope", false},
		{"cgroup-deleted", "/user.slice/u1001/gone", false},
		{"cgroup-relative", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := ParseProcCgroup(readTestdata(t, tt.file))
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("got %q, %v; want %q, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestParseMountinfo(t *testing.T) {
	tests := []struct {
		file, mount, root string
		ok                bool
	}{
		{"mountinfo-v1", "", "", false},
		{"mountinfo-hybrid", "/sys/fs/cgroup/unified", "/", true},
		{"mountinfo-unified", "/sys/fs/cgroup", "/", true},
		{"mountinfo-systemd", "/sys/fs/cgroup", "/", true},
		{"mountinfo-container-subtree", "/sys/fs/cgroup", "/docker/4f1a2b", true},
		{"mountinfo-fake-dash", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			m, r, ok := ParseMountinfo(readTestdata(t, tt.file))
			if m != tt.mount || r != tt.root || ok != tt.ok {
				t.Fatalf("got %q %q %v; want %q %q %v", m, r, ok, tt.mount, tt.root, tt.ok)
			}
		})
	}
}

func TestParseMountinfoEscaped(t *testing.T) {
	line := []byte(`41 31 0:38 / /mnt/my\040cgroup rw - cgroup2 cgroup2 rw` + "\n")
	if m, _, _ := ParseMountinfo(line); m != "/mnt/my cgroup" {
		t.Fatalf("got %q", m)
	}
}

func TestOwnDir(t *testing.T) {
	tests := []struct {
		mountinfo, cgroup, want string
		notDelegated            bool
	}{
		{"mountinfo-hybrid", "cgroup-hybrid", "/sys/fs/cgroup/unified", false},
		{"mountinfo-systemd", "cgroup-ssh-session", "/sys/fs/cgroup/user.slice/user-1000.slice/session-4.scope", false},
		{"mountinfo-v1", "cgroup-v1", "", true},
		{"mountinfo-unified", "cgroup-v1", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.mountinfo+"+"+tt.cgroup, func(t *testing.T) {
			got, err := ownDir(readTestdata(t, tt.mountinfo), readTestdata(t, tt.cgroup))
			if errors.Is(err, ErrNotDelegated) != tt.notDelegated || got.dir != tt.want {
				t.Fatalf("got %q, %v; want %q, not delegated %v", got.dir, err, tt.want, tt.notDelegated)
			}
		})
	}
}

func TestOwnDirSubtreeMount(t *testing.T) {
	mi := readTestdata(t, "mountinfo-container-subtree")
	got, err := ownDir(mi, []byte("0::/docker/4f1a2b/app\n"))
	if err != nil || got.dir != "/sys/fs/cgroup/app" {
		t.Fatalf("got %q, %v", got.dir, err)
	}
	if _, err := ownDir(mi, []byte("0::/other\n")); !errors.Is(err, ErrNotDelegated) {
		t.Fatalf("got %v, want ErrNotDelegated", err)
	}
}

func TestParseKeyed(t *testing.T) {
	ev := ParseKeyed(readTestdata(t, "memory.events"))
	if ev["oom_kill"] != 1 || ev["max"] != 212 || len(ev) != 6 {
		t.Fatalf("memory.events: %v", ev)
	}
	cpu := ParseKeyed(readTestdata(t, "cpu.stat"))
	if cpu["throttled_usec"] != 1922180 || cpu["nr_throttled"] != 40 {
		t.Fatalf("cpu.stat: %v", cpu)
	}
	if m := ParseKeyed([]byte("bad line here\nx -1\n\n")); len(m) != 0 {
		t.Fatalf("garbage parsed: %v", m)
	}
}

func TestParseMax(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  bool
	}{
		{"max\n", Unlimited, false},
		{"536870912\n", 536870912, false},
		{"", 0, true},
		{"-5", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseMax([]byte(tt.in))
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("ParseMax(%q) = %d, %v", tt.in, got, err)
		}
	}
}

func TestParseCPUMax(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		err  bool
	}{
		{"max 100000\n", 0, false},
		{"150000 100000\n", 1.5, false},
		{"50000 100000", 0.5, false},
		{"150000", 0, true},
		{"x 100000", 0, true},
		{"100 0", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseCPUMax([]byte(tt.in))
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("ParseCPUMax(%q) = %v, %v", tt.in, got, err)
		}
	}
}

func FuzzParsers(f *testing.F) {
	for _, n := range []string{"mountinfo-hybrid", "mountinfo-systemd", "cgroup-systemd-user", "memory.events", "cpu.stat"} {
		f.Add(readTestdata(f, n))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ParseMountinfo(b)
		if p, err := ParseProcCgroup(b); err == nil && p[0] != '/' {
			t.Fatalf("relative path %q", p)
		}
		ParseKeyed(b)
		ParseMax(b)
		ParseCPUMax(b)
	})
}
