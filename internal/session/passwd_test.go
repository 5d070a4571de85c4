package session

import (
	"os"
	"os/user"
	"strings"
	"testing"
)

func TestPasswdEntry(t *testing.T) {
	tests := []struct {
		name, passwd, uid string
		wantName, home    string
		ok                bool
	}{
		{"plain", "root:x:0:0:root:/root:/bin/bash\nkim:x:1000:1000:Kim,,,:/home/kim:/bin/zsh\n", "1000", "kim", "/home/kim", true},
		{"first of two", "a:x:7:7::/a:/bin/sh\nb:x:7:7::/b:/bin/sh\n", "7", "a", "/a", true},
		{"no final newline", "kim:x:1000:1000::/home/kim:/bin/sh", "1000", "kim", "/home/kim", true},
		{"crlf and indented", "  kim:x:1000:1000::/home/kim:/bin/sh\r\n", "1000", "kim", "/home/kim", true},
		{"comment and blank", "# kim:x:1000:1000::/c:/bin/sh\n\n   \nkim:x:1000:1000::/home/kim:/bin/sh\n", "1000", "kim", "/home/kim", true},
		{"uid only as gid", "kim:x:1001:1000::/home/kim:/bin/sh\n", "1000", "", "", false},
		{"uid in another field", "kim:x:1001:1001:1000:/home/kim:/bin/sh\n", "1000", "", "", false},
		{"six fields", "kim:x:1000:1000::/home/kim\n", "1000", "", "", false},
		{"extra colons in shell", "kim:x:1000:1000::/home/kim:/bin/sh:x\n", "1000", "kim", "/home/kim", true},
		{"empty name", ":x:1000:1000::/home/kim:/bin/sh\n", "1000", "", "", false},
		{"nis plus", "+kim:x:1000:1000::/home/kim:/bin/sh\n", "1000", "", "", false},
		{"nis minus", "-kim:x:1000:1000::/home/kim:/bin/sh\n", "1000", "", "", false},
		{"gid not a number", "kim:x:1000:staff::/home/kim:/bin/sh\n", "1000", "", "", false},
		{"empty home", "kim:x:1000:1000:::/bin/sh\n", "1000", "kim", "", true},
		{"missing", "root:x:0:0:root:/root:/bin/bash\n", "1000", "", "", false},
		{"empty file", "", "1000", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name, home, ok := passwdEntry([]byte(tt.passwd), tt.uid)
			if name != tt.wantName || home != tt.home || ok != tt.ok {
				t.Errorf("passwdEntry = %q, %q, %v; want %q, %q, %v", name, home, ok, tt.wantName, tt.home, tt.ok)
			}
		})
	}
}

// The user devbox finds is the one os/user finds on this machine, in the
// build devbox ships (without cgo).
func TestCurrentUserIsOSUsers(t *testing.T) {
	u, err := user.Current()
	got := currentUser()
	if err != nil {
		if got.ok {
			t.Fatalf("os/user: %v; devbox found %+v", err, got)
		}
		return
	}
	if !got.ok || got.name != u.Username || got.home != u.HomeDir {
		t.Fatalf("devbox found %+v; os/user %q, %q", got, u.Username, u.HomeDir)
	}
	want := u.HomeDir
	if want == "" || want == "/" {
		want = os.Getenv("HOME")
	}
	if h := HostHome(); h != want {
		t.Fatalf("HostHome = %q, want %q", h, want)
	}
}

func FuzzPasswdEntry(f *testing.F) {
	f.Add([]byte("kim:x:1000:1000:Kim:/home/kim:/bin/sh\n"), "1000")
	f.Add([]byte("#c\n +k:x:1:1::/h:/s\r\n"), "1")
	f.Fuzz(func(t *testing.T, passwd []byte, uid string) {
		name, home, ok := passwdEntry(passwd, uid)
		if !ok {
			return
		}
		// The entry found is a line of the file, with those fields.
		line := ":" + uid + ":"
		if name == "" || strings.ContainsAny(name+home, ":\n") || !strings.Contains(string(passwd), name+":") || !strings.Contains(string(passwd), line) {
			t.Fatalf("passwdEntry(%q, %q) = %q, %q", passwd, uid, name, home)
		}
	})
}
