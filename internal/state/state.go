// Package state keeps devbox's on-disk state: the runtime directory of each
// running sandbox, its state.json, the start lock, and the persistent data
// directory. It runs on the host (client and supervisor).
package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// RuntimeRoot returns $XDG_RUNTIME_DIR/devbox, or /tmp/devbox-UID when
// XDG_RUNTIME_DIR is unset (su, runuser, cron). It creates the directory 0700
// and refuses one owned by another user or open to others.
func RuntimeRoot() (string, error) {
	dir := filepath.Join(os.TempDir(), "devbox-"+strconv.Itoa(os.Getuid()))
	if x := os.Getenv("XDG_RUNTIME_DIR"); x != "" && filepath.IsAbs(x) {
		dir = filepath.Join(x, "devbox")
	}
	if err := ensurePrivateDir(dir); err != nil {
		return "", err
	}
	return dir, nil
}

// DevboxDirs are devbox's runtime and data dirs, as configured and with
// symlinks resolved: code in a sandbox must never see them (every
// sandbox's sockets, state, homes and images).
func DevboxDirs() ([]string, error) {
	rt, err := RuntimeRoot()
	if err != nil {
		return nil, err
	}
	data, err := DataRoot()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, d := range []string{rt, data} {
		out = append(out, filepath.Clean(d))
		if r, err := filepath.EvalSymlinks(d); err == nil && r != filepath.Clean(d) {
			out = append(out, r)
		}
	}
	return out, nil
}

// DataRoot returns $XDG_DATA_HOME/devbox, else ~/.local/share/devbox.
func DataRoot() (string, error) {
	if x := os.Getenv("XDG_DATA_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "devbox"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find data dir: %w (set HOME or XDG_DATA_HOME)", err)
	}
	return filepath.Join(home, ".local", "share", "devbox"), nil
}

// SandboxesRoot returns DataRoot/sandboxes, which holds one SandboxData dir
// per sandbox that has persistent data.
func SandboxesRoot() (string, error) {
	data, err := DataRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(data, "sandboxes"), nil
}

// SandboxData returns a sandbox's persistent data dir,
// DataRoot/sandboxes/NAME: its home, sandbox.json and setup.json, the
// cached image resolution and layer dirs, and devbox.lock when the project
// has no devbox.toml. It creates nothing.
func SandboxData(name string) (string, error) {
	root, err := SandboxesRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, name), nil
}

// ensurePrivateDir creates dir 0700 if missing and checks that it belongs to
// the current user and is not open to group or others.
func ensurePrivateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create runtime dir: %w", err)
	}
	var st unix.Stat_t
	if err := unix.Lstat(dir, &st); err != nil {
		return fmt.Errorf("check runtime dir: %w", err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return fmt.Errorf("runtime dir %s is not a directory", dir)
	}
	if int(st.Uid) != os.Getuid() {
		return fmt.Errorf("runtime dir %s belongs to uid %d, not to you (uid %d): someone may be trying to take over your sandboxes; remove it or set XDG_RUNTIME_DIR", dir, st.Uid, os.Getuid())
	}
	if st.Mode&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("make runtime dir private: %w", err)
		}
	}
	return nil
}

// State is state.json in a running sandbox's runtime directory.
type State struct {
	Name        string        `json:"name"`
	Project     string        `json:"project"`
	Hostname    string        `json:"hostname"`
	Network     string        `json:"network"`
	IdleTimeout time.Duration `json:"idle_timeout"`
	Ephemeral   bool          `json:"ephemeral,omitempty"`
	// Supervisor and Init are host pids; their start times (clock ticks since
	// boot, /proc/PID/stat field 22) tell a live process from a reused pid.
	Supervisor      int    `json:"supervisor_pid"`
	SupervisorStart uint64 `json:"supervisor_start"`
	Init            int    `json:"init_pid"`
	// Helpers are host pids of network helpers (slirp4netns, pasta), ended
	// by stale-state cleanup when the supervisor could not.
	Helpers []int `json:"helpers,omitempty"`
	// NetworkDown says why the sandbox has lost its network (its helper
	// died and could not be restarted); "" while it works.
	NetworkDown string `json:"network_down,omitempty"`
	// NetworkRestarts counts the helper's restarts after it died.
	NetworkRestarts int       `json:"network_restarts,omitempty"`
	Created         time.Time `json:"created"`
	BootID          string    `json:"boot_id"`
	// Cgroup is the sandbox's cgroup v2 directory, "" when not delegated.
	Cgroup string `json:"cgroup,omitempty"`
	// SingleID is true when the sandbox maps only the user's own id (no
	// subordinate ids or no newuidmap when it started); it keeps that map
	// until it stops.
	SingleID bool `json:"single_id,omitempty"`
	// Review is the driver of the review overlay the project is seen
	// through ("overlay" or "fuse-overlayfs"), "" for the plain bind.
	Review string `json:"review,omitempty"`
	// Image is the image an image sandbox runs, as it started: a join
	// builds its session from it without looking the image up in the
	// store (where the name may point elsewhere by now). nil for the host
	// view.
	Image *Image `json:"image,omitempty"`
}

// Image names an image sandbox's image and the config its sessions use.
type Image struct {
	Name   string      `json:"name"`
	ID     string      `json:"id"`
	Config ImageConfig `json:"config"`
}

// ImageConfig is the part of an image's config that sessions use.
type ImageConfig struct {
	Env        []string `json:"env,omitempty"`
	WorkingDir string   `json:"working_dir,omitempty"`
	Cmd        []string `json:"cmd,omitempty"`
}

// File names inside a sandbox's runtime directory.
const (
	StateFile  = "state.json"
	SocketFile = "sock"
	LogFile    = "supervisor.log"
	// ControlSocket is the supervisor's socket for live changes (ports,
	// egress lists) and the sealed init copy.
	ControlSocket = "ctl.sock"
)

// Write stores st in dir atomically (temp file plus rename).
func Write(dir string, st State) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	return WriteFileAtomic(filepath.Join(dir, StateFile), b, 0o600)
}

// WriteFileAtomic writes data to path through a temp file and rename, so a
// reader never sees half a file.
func WriteFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// Read loads state.json from dir.
func Read(dir string) (State, error) {
	var st State
	b, err := os.ReadFile(filepath.Join(dir, StateFile))
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("decode %s: %w", filepath.Join(dir, StateFile), err)
	}
	return st, nil
}

// Alive reports whether st's supervisor is still the process that wrote it.
func (st State) Alive() bool {
	if st.Supervisor <= 0 || st.BootID != BootID() {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(st.Supervisor) + "/stat")
	if err != nil {
		return false
	}
	state, start, err := ParseStat(b)
	// A zombie has exited; on hosts whose PID 1 reaps slowly it lingers.
	return err == nil && start == st.SupervisorStart && state != 'Z' && state != 'X'
}

// StartTime returns a process's start time in clock ticks since boot.
func StartTime(pid int) (uint64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	_, start, err := ParseStat(b)
	return start, err
}

// ParseStat extracts the state (field 3) and start time (field 22) from
// /proc/PID/stat content. The command name (field 2) may hold spaces and
// parentheses, so fields are counted after the last ')'.
func ParseStat(stat []byte) (byte, uint64, error) {
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0, errors.New("parse /proc stat: no command name")
	}
	fields := strings.Fields(s[i+1:])
	// fields[0] is field 3 (state); starttime is field 22.
	if len(fields) < 20 || len(fields[0]) != 1 {
		return 0, 0, errors.New("parse /proc stat: too few fields")
	}
	v, err := strconv.ParseUint(fields[19], 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("parse /proc stat starttime: %w", err)
	}
	return fields[0][0], v, nil
}

// BootID identifies the current boot, so state from before a reboot is stale.
func BootID() string {
	b, _ := os.ReadFile("/proc/sys/kernel/random/boot_id")
	return strings.TrimSpace(string(b))
}

// Lock takes an exclusive flock on path, creating it, and returns the
// unlock, which removes the file: lock files never pile up (one per --rm
// sandbox would). A waiter may have opened the file just before its holder
// removed it, so after taking the flock it checks that path still names the
// file it locked, and starts over when it does not.
func Lock(path string) (func(), error) {
	for {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("open lock %s: %w", path, err)
		}
		if err := flock(f); err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if sameFile(f, path) {
			return func() { os.Remove(path); f.Close() }, nil
		}
		f.Close()
	}
}

func flock(f *os.File) error {
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}

// sameFile reports whether path still names the open file f.
func sameFile(f *os.File, path string) bool {
	var a, b unix.Stat_t
	if unix.Fstat(int(f.Fd()), &a) != nil || unix.Stat(path, &b) != nil {
		return false
	}
	return a.Dev == b.Dev && a.Ino == b.Ino
}

// OpenLog opens the supervisor's log in the sandbox's runtime dir for
// appending, readable by the user alone: the client opens it for the
// supervisor it starts, a supervisor started before the dir existed
// opens it itself.
func OpenLog(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, LogFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open supervisor log: %w", err)
	}
	return f, nil
}
