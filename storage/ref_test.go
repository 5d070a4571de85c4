package storage

import "testing"

func TestParseRef(t *testing.T) {
	tests := []struct {
		in, want string
		short    bool
	}{
		{"debian", "docker.io/library/debian:latest", true},
		{"debian:12", "docker.io/library/debian:12", true},
		{"user/app", "docker.io/user/app:latest", true},
		{"docker.io/library/debian:12", "docker.io/library/debian:12", false},
		{"127.0.0.1:5000/t/bb:1", "127.0.0.1:5000/t/bb:1", false},
		{"localhost/bb", "localhost/bb:latest", false},
		{"quay.io/x/y@sha256:" + hex64, "quay.io/x/y@sha256:" + hex64, false},
	}
	for _, tt := range tests {
		r, err := ParseRef(tt.in)
		if err != nil {
			t.Fatalf("ParseRef(%q): %v", tt.in, err)
		}
		if r.String() != tt.want || r.Short != tt.short {
			t.Errorf("ParseRef(%q) = %q short=%v, want %q short=%v", tt.in, r, r.Short, tt.want, tt.short)
		}
	}
	for _, bad := range []string{"", "BAD::ref", "a b", "/x", "x/"} {
		if _, err := ParseRef(bad); err == nil {
			t.Errorf("ParseRef(%q): want error", bad)
		}
	}
}

const hex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestIsLoopback(t *testing.T) {
	for in, want := range map[string]bool{
		"127.0.0.1:5000": true, "localhost:1": true, "[::1]:5000": true, "127.1.2.3": true,
		"10.0.0.1:5000": false, "docker.io": false, "192.168.1.1": false,
	} {
		if got := IsLoopback(in); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestMatchShort(t *testing.T) {
	short, _ := ParseRef("bb")
	for n, want := range map[string]bool{
		"localhost/bb:latest":            true,
		"docker.io/library/bb:latest":    true,
		"127.0.0.1:5000/bb:latest":       true,
		"127.0.0.1:5000/bb:2":            false,
		"docker.io/library/other:latest": false,
		"127.0.0.1:5000/team/bb:latest":  false,
	} {
		r, err := ParseRef(n)
		if err != nil {
			t.Fatal(err)
		}
		if got := MatchShort(short, r); got != want {
			t.Errorf("MatchShort(bb, %q) = %v, want %v", n, got, want)
		}
	}
}

func FuzzParseRef(f *testing.F) {
	for _, s := range []string{"debian", "a/b:c", "127.0.0.1:5000/x@sha256:" + hex64, "::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRef(s)
		if err != nil {
			return
		}
		again, err := ParseRef(r.String())
		if err != nil || again.String() != r.String() {
			t.Fatalf("round trip %q -> %q -> %q (%v)", s, r, again, err)
		}
	})
}

func TestKindOfTar(t *testing.T) {
	if _, err := kindOfTar(stringsReader("not a tar archive at all, just text padding......")); err == nil {
		t.Error("kindOfTar(text): want error")
	}
}

func TestPinnedTypedStaysShort(t *testing.T) {
	const d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	cases := []struct{ typed, want string }{
		{"bb", "library/bb@" + d},
		{"user/app:2", "user/app@" + d},
		{"docker.io/library/debian:12", "docker.io/library/debian@" + d},
		{"127.0.0.1:5000/test/bb:1", "127.0.0.1:5000/test/bb@" + d},
	}
	for _, c := range cases {
		r, err := ParseRef(c.typed)
		if err != nil {
			t.Fatalf("ParseRef(%q): %v", c.typed, err)
		}
		got := r.Pinned(d).Typed()
		if got != c.want {
			t.Errorf("%s pinned: %q, want %q", c.typed, got, c.want)
		}
		back, err := ParseRef(got)
		if err != nil || back.Short != r.Short || back.Repo != r.Repo {
			t.Errorf("%s: re-parsed %q as %+v (%v), want short=%v repo %s", c.typed, got, back, err, r.Short, r.Repo)
		}
	}
}
