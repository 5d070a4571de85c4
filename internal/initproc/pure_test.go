package initproc

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/userns"
)

// tree makes dir/bin/tool (executable), dir/bin/plain (not executable),
// dir/bin/sub (a dir) and dir/other/tool (executable).
func tree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for p, mode := range map[string]os.FileMode{"bin/tool": 0o755, "bin/plain": 0o644, "other/tool": 0o755, "other/plain": 0o755} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "bin", "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestLookPath(t *testing.T) {
	dir := tree(t)
	bin, other := filepath.Join(dir, "bin"), filepath.Join(dir, "other")
	tests := []struct {
		name, cmd, path string
		want            string // "" when an error is wanted
		notFound        bool   // the error is a *notFoundError (127)
	}{
		{"first dir that has it", "tool", bin + ":" + other, filepath.Join(bin, "tool"), false},
		{"order of PATH", "tool", other + ":" + bin, filepath.Join(other, "tool"), false},
		{"not executable is skipped for a later one", "plain", bin + ":" + other, filepath.Join(other, "plain"), false},
		{"only not executable is denied", "plain", bin, "", false},
		{"a directory is not a command", "sub", bin, "", true},
		{"absent", "nope", bin + ":" + other, "", true},
		{"empty PATH", "tool", "", "", true},
		{"slash is used as given", filepath.Join(bin, "plain"), "", filepath.Join(bin, "plain"), false},
		{"slash to nothing", filepath.Join(bin, "nope"), bin, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := lookPath(tt.cmd, tt.path)
			if tt.want != "" {
				if err != nil || got != tt.want {
					t.Fatalf("lookPath(%q, %q) = %q, %v; want %q", tt.cmd, tt.path, got, err, tt.want)
				}
				return
			}
			var nf *notFoundError
			if err == nil || errors.As(err, &nf) != tt.notFound {
				t.Fatalf("lookPath(%q, %q) = %q, %v; want an error (not found: %v)", tt.cmd, tt.path, got, err, tt.notFound)
			}
		})
	}
}

func TestLookPathEmptyEntryIsCurrentDir(t *testing.T) {
	dir := tree(t)
	t.Chdir(filepath.Join(dir, "bin"))
	got, err := lookPath("tool", ":/nonexistent")
	if err != nil || got != "tool" {
		t.Fatalf("lookPath = %q, %v; want tool from the current dir", got, err)
	}
}

func TestSessionDir(t *testing.T) {
	dir := tree(t)
	file := filepath.Join(dir, "bin", "tool")
	tests := []struct{ name, cwd, def, want string }{
		{"requested exists", dir, "/", dir},
		{"requested missing, default", "/nonexistent", dir, dir},
		{"requested is a file", file, dir, dir},
		{"both missing", "/nonexistent", "/nonexistent2", "/"},
		{"both empty", "", "", "/"},
		{"default empty", "/nonexistent", "", "/"},
	}
	for _, tt := range tests {
		if got := sessionDir(tt.cwd, tt.def); got != tt.want {
			t.Errorf("%s: sessionDir(%q, %q) = %q, want %q", tt.name, tt.cwd, tt.def, got, tt.want)
		}
	}
}

func TestResolveArgv(t *testing.T) {
	dir := tree(t)
	tool := filepath.Join(dir, "bin", "tool")
	plain := filepath.Join(dir, "bin", "plain")
	sh := "/bin/sh"
	fallback := "/bin/bash"
	if !isExecutable(fallback) {
		fallback = sh
	}
	tests := []struct {
		name string
		req  proto.Spawn
		want []string // nil when an error is wanted
	}{
		{"command as given", proto.Spawn{Argv: []string{"ls", "-l"}}, []string{"ls", "-l"}},
		{"empty command", proto.Spawn{}, nil},
		{"empty argv[0]", proto.Spawn{Argv: []string{""}}, nil},
		{"user's shell", proto.Spawn{Shell: true, ShellHint: tool}, []string{tool}},
		{"shell with arguments", proto.Spawn{Shell: true, ShellHint: tool, Argv: []string{"-c", "x"}}, []string{tool, "-c", "x"}},
		{"shell not executable falls back to bash", proto.Spawn{Shell: true, ShellHint: plain}, []string{fallback}},
		{"no hint falls back to bash", proto.Spawn{Shell: true}, []string{fallback}},
		{"shell hint sh", proto.Spawn{Shell: true, ShellHint: sh}, []string{sh}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := resolveArgv(tt.req)
			if tt.want == nil {
				if err == nil {
					t.Fatalf("resolveArgv(%+v) = %q, want an error", tt.req, got)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("resolveArgv(%+v) = %q, %v; want %q", tt.req, got, err, tt.want)
			}
		})
	}
}

// resolveArgv must copy: the request's slice belongs to the caller.
func TestResolveArgvCopies(t *testing.T) {
	req := proto.Spawn{Argv: []string{"a", "b"}}
	got, _ := resolveArgv(req)
	got[0] = "x"
	if req.Argv[0] != "a" {
		t.Error("resolveArgv returned the request's own slice")
	}
}

func TestEnvValue(t *testing.T) {
	env := []string{"PATH=/a", "HOME=/h", "PATH=/b", "EMPTY=", "PATHX=/x"}
	for key, want := range map[string]string{"PATH": "/b", "HOME": "/h", "EMPTY": "", "NONE": "", "PAT": ""} {
		if got := envValue(env, key); got != want {
			t.Errorf("envValue(%q) = %q, want %q (the last one wins)", key, got, want)
		}
	}
}

func TestExecErrorAndSpawnError(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		wantCode int
		wantMsg  string
	}{
		{"missing binary", execError("foo", syscall.ENOENT), 127, "foo: command not found"},
		{"not executable", execError("foo", syscall.EACCES), 126, "foo: cannot execute"},
		{"bad format", execError("foo", syscall.ENOEXEC), 126, "foo: cannot execute"},
		{"lookPath's not found", &notFoundError{name: "bar"}, 127, "bar: command not found"},
		{"path error", &os.PathError{Op: "chdir", Path: "/x", Err: syscall.ENOTDIR}, 126, "chdir /x"},
		{"anything else", errors.New("boom"), 126, "boom"},
	}
	for _, tt := range tests {
		e := spawnError(tt.err)
		if e.Code != tt.wantCode || !strings.Contains(e.Msg, tt.wantMsg) {
			t.Errorf("%s: spawnError = %+v, want code %d with %q", tt.name, e, tt.wantCode, tt.wantMsg)
		}
	}
	if execError("foo", nil) != nil {
		t.Error("execError(nil) is not nil")
	}
}

func TestIDMaps(t *testing.T) {
	got := idMaps([]userns.Mapping{{Inside: 0, Host: 1000, Count: 1}, {Inside: 1, Host: 100000, Count: 65536}})
	want := []syscall.SysProcIDMap{{ContainerID: 0, HostID: 1000, Size: 1}, {ContainerID: 1, HostID: 100000, Size: 65536}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("idMaps = %+v, want %+v", got, want)
	}
}

func TestMappedCount(t *testing.T) {
	tests := []struct {
		name, content string
		want          uint32
		err           bool
	}{
		{"single id", "         0       1000          1\n", 1, false},
		{"own id and a range", "0 1000 1\n1 100000 65536\n", 65537, false},
		{"ranges out of order", "1 100000 65536\n0 1000 1\n", 65537, false},
		{"whole space is capped", "0 0 4294967295\n", 1<<32 - 1, false},
		{"junk lines skipped", "garbage\n0 1000 1\n", 1, false},
		{"empty", "", 0, true},
	}
	for _, tt := range tests {
		p := filepath.Join(t.TempDir(), "uid_map")
		if err := os.WriteFile(p, []byte(tt.content), 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := mappedCount(p)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("%s: mappedCount = %d, %v; want %d (error: %v)", tt.name, got, err, tt.want, tt.err)
		}
	}
	if _, err := mappedCount(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("mappedCount of a missing file: no error")
	}
}

func TestParseNSpid(t *testing.T) {
	tests := []struct {
		status string
		want   int
		err    bool
	}{
		{"Name:\tsh\nPid:\t4242\nNSpid:\t4242\t17\t3\nPPid:\t1\n", 3, false},
		{"NSpid:\t12\n", 12, false},
		{"Name:\tsh\nPid:\t12\n", 0, true}, // a kernel without NSpid
		{"NSpid:\tx\n", 0, true},
	}
	for _, tt := range tests {
		got, err := parseNSpid(tt.status)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("parseNSpid(%q) = %d, %v; want %d, error %v", tt.status, got, err, tt.want, tt.err)
		}
	}
}
