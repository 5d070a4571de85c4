package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/devbox-dev/devbox/internal/config"
	"github.com/devbox-dev/devbox/internal/project"
	"github.com/devbox-dev/devbox/internal/protect"
	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/session"
	"github.com/devbox-dev/devbox/internal/state"
	"github.com/devbox-dev/devbox/regfile"
	"github.com/devbox-dev/devbox/shellinit"
)

// configFile records, in a running sandbox's runtime dir, the config it was
// started with: the hash and the canonical value of each sandbox-level key.
const configFile = "config.json"

// Paths inside the sandbox where devbox puts the host's sockets.
const SSHAgentSocket = "/run/devbox/ssh-agent.sock"

// configureSpec applies the project config to the launch spec before the
// supervisor starts: the home mode, extra mounts, the ssh-agent and display
// sockets, and the shell rc files.
func configureSpec(spec *proto.Spec, opts Options) error {
	c := opts.Config
	if c.Home == config.HomeHost || c.Home == config.HomeRO {
		spec.HomeSource = spec.Home
		spec.HomeReadOnly = c.Home == config.HomeRO
		spec.HomeTmpfs = false
	}
	var err error
	if spec.Hidden, err = state.DevboxDirs(); err != nil {
		return err
	}
	rc, err := rcDir()
	if err != nil {
		return err
	}
	spec.Mounts = append(spec.Mounts, proto.Mount{Source: rc, Target: shellinit.RCDir, ReadOnly: true})
	// Before the config's mounts, which may bind over them.
	home, err := homeMounts(c, HostHome(), spec.Home)
	if err != nil {
		return err
	}
	spec.Mounts = append(spec.Mounts, home...)
	for _, m := range c.Mounts {
		if err := refuseHidden(m.Source, spec.Hidden); err != nil {
			return err
		}
		spec.Mounts = append(spec.Mounts, proto.Mount{Source: m.Source, Target: m.Target, ReadOnly: m.ReadOnly})
	}
	spec.Mounts = append(spec.Mounts, socketMounts(c, opts.Warn)...)
	spec.Mounts = append(spec.Mounts, protectMounts(*spec)...)
	return nil
}

// rcDir is the user's one dir of shell start-up files, under devbox's data
// dir: hidden from every sandbox (state.DevboxDirs) and bound read-only, and
// still checked on each start rather than trusted (shellinit.EnsureRC).
func rcDir() (string, error) {
	data, err := state.DataRoot()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(data, 0o700); err != nil {
		return "", fmt.Errorf("create devbox's data dir: %w", err)
	}
	return shellinit.EnsureRC(filepath.Join(data, "shellinit"))
}

// refuseHidden refuses a [[mounts]] source inside one of devbox's own dirs;
// a source that contains one is bound, and the child hides the dir in it.
func refuseHidden(src string, hidden []string) error {
	real := src
	if r, err := filepath.EvalSymlinks(src); err == nil {
		real = r
	}
	for _, h := range hidden {
		if project.Within(real, h) || project.Within(src, h) {
			return fmt.Errorf("refusing the mount of %s: it is inside devbox's own dir %s (every sandbox's state); mount another directory", src, h)
		}
	}
	return nil
}

// ProtectedFiles are the files in a project that decide what its sandbox
// may do: the config, the image pins, and the devcontainer files 'devbox
// init --from' reads (one list with the strict profile and devbox apply, in
// internal/protect).
var ProtectedFiles = protect.ConfigFiles

// protectMounts binds each protected file that exists read-only over
// itself, wherever a bind shows it inside: at the project's path, and below
// any extra mount whose source holds the project. They come last, over
// every other bind. A protected file that does not exist at start cannot be
// covered (a bind needs something to cover) and creating an empty one would
// change the user's project; one created later by code inside is caught by
// the trust record instead (trust.go): it runs only if it asks for no more
// than the project's approved config.
func protectMounts(spec proto.Spec) []proto.Mount {
	binds := append([]proto.Mount{{Source: spec.ProjectDir, Target: spec.ProjectDir}}, spec.Mounts...)
	if spec.HomeSource != "" {
		binds = append(binds, proto.Mount{Source: spec.HomeSource, Target: spec.Home, ReadOnly: spec.HomeReadOnly})
	}
	var out []proto.Mount
	for _, name := range ProtectedFiles {
		src := filepath.Join(spec.ProjectDir, name)
		if _, err := os.Stat(src); err != nil {
			continue
		}
		for _, b := range binds {
			if b.ReadOnly {
				continue
			}
			if rel, err := filepath.Rel(b.Source, src); err == nil && rel != ".." && !strings.HasPrefix(rel, "../") && rel != "." {
				out = append(out, proto.Mount{Source: src, Target: filepath.Join(b.Target, rel), ReadOnly: true})
			}
		}
	}
	return out
}

// socketMounts binds the ssh agent's socket (forward_ssh_agent) and the X11
// and Wayland sockets (gui) that the host session has.
func socketMounts(c config.Config, warn interface{ Write([]byte) (int, error) }) []proto.Mount {
	var out []proto.Mount
	say := func(format string, args ...any) {
		if warn != nil {
			fmt.Fprintf(warn, "devbox: warning: "+format+"\n", args...)
		}
	}
	if c.ForwardSSHAgent {
		if sock := os.Getenv("SSH_AUTH_SOCK"); sock != "" && exists(sock) {
			out = append(out, proto.Mount{Source: sock, Target: SSHAgentSocket})
		} else {
			say("forward_ssh_agent is set but no agent is running here (SSH_AUTH_SOCK is unset or gone); start one with 'eval $(ssh-agent)' and run 'devbox restart'")
		}
	}
	if c.GUI {
		gui := GUIMounts(os.Getenv)
		if len(gui) == 0 {
			say("gui is set but neither DISPLAY nor WAYLAND_DISPLAY is set here; GUI programs will not find a display")
		}
		out = append(out, gui...)
	}
	return out
}

// GUIMounts returns the binds that give the sandbox the host's displays: the
// X11 socket directory and the Wayland socket.
func GUIMounts(getenv func(string) string) []proto.Mount {
	var out []proto.Mount
	if getenv("DISPLAY") != "" && exists("/tmp/.X11-unix") {
		out = append(out, proto.Mount{Source: "/tmp/.X11-unix", Target: "/tmp/.X11-unix"})
	}
	if x := getenv("XAUTHORITY"); x != "" && exists(x) {
		out = append(out, proto.Mount{Source: x, Target: x, ReadOnly: true})
	}
	if w := session.WaylandSocket(getenv); w != "" && exists(w) {
		out = append(out, proto.Mount{Source: w, Target: filepath.Join(session.WaylandDir, filepath.Base(w))})
	}
	return out
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// recordConfig writes the config the sandbox starts with, for the join check.
func recordConfig(dir string, opts Options) error {
	b, err := configRecord(opts)
	if err != nil {
		return err
	}
	return state.WriteFileAtomic(filepath.Join(dir, configFile), b, 0o600)
}

// configRecord is the config record of opts, as recordConfig writes it.
func configRecord(opts Options) ([]byte, error) {
	b, err := json.MarshalIndent(config.NewRecord(opts.Config, opts.FileConfig), "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode config record: %w", err)
	}
	return b, nil
}

// readRecord reads the config record of the sandbox in dir; ok is false for
// a sandbox started by a devbox without config records.
func readRecord(dir string) (rec config.Record, ok bool, err error) {
	b, err := os.ReadFile(filepath.Join(dir, configFile))
	if errors.Is(err, os.ErrNotExist) {
		return rec, false, nil
	}
	if err != nil {
		return rec, false, fmt.Errorf("read config record: %w", err)
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		return rec, false, fmt.Errorf("decode config record %s: %w", filepath.Join(dir, configFile), err)
	}
	return rec, true, nil
}

// joinRecord is the part of a config record the join check reads: its
// values. Decoding only these skips the record's limits, whose types cost
// encoding/json more to learn than the rest of a join's client work.
type joinRecord struct {
	Values     map[string]string `json:"values"`
	FileValues map[string]string `json:"file_values"`
}

// readJoinRecord is readRecord for the join check: the record's values,
// without its hash and limits.
func readJoinRecord(dir string) (rec config.Record, ok bool, err error) {
	b, err := os.ReadFile(filepath.Join(dir, configFile))
	if errors.Is(err, os.ErrNotExist) {
		return rec, false, nil
	}
	if err != nil {
		return rec, false, fmt.Errorf("read config record: %w", err)
	}
	return decodeJoinRecord(dir, b)
}

func decodeJoinRecord(dir string, b []byte) (rec config.Record, ok bool, err error) {
	var jr joinRecord
	if err := json.Unmarshal(b, &jr); err != nil {
		return rec, false, fmt.Errorf("decode config record %s: %w", filepath.Join(dir, configFile), err)
	}
	return config.Record{Values: jr.Values, FileValues: jr.FileValues}, true, nil
}

// checkJoin is the one join check: it refuses to join a sandbox started
// with a different config, naming the changed keys and how to apply them,
// rather than silently running the old config (see config.Record).
func checkJoin(h *Handle, opts Options) error {
	b, err := session.ReadSmall(filepath.Join(h.Dir, configFile))
	if err != nil {
		return nil // no usable record: nothing to compare with
	}
	if unchangedRecord(b, opts) {
		return nil
	}
	rec, ok, err := decodeJoinRecord(h.Dir, b)
	if err != nil || !ok {
		return nil
	}
	h.record = &rec
	keys := rec.JoinChanges(opts.Config, opts.FileConfig, opts.FlagKeys)
	if len(keys) == 0 {
		return nil
	}
	// The message shows the network a start would pick, as a start does.
	if resolved, err := withDefaultNetwork(Options{Config: opts.Config}); err == nil {
		opts.Config = resolved.Config
	}
	return &ConfigChangedError{Name: h.Name, Keys: keys, Old: rec.Values, New: opts.Config.SandboxValues()}
}

// unchangedRecord reports whether a join with opts has nothing to compare
// in the record b: no flag sets a config key (the effective values only
// matter for those), and the record's first lines give the hash of the
// file's values it started with and its sessions' user, both the same now
// (joinedUser then needs no record). It decodes nothing: a cold
// encoding/json took 0.15 ms for the record's two maps. Any other record,
// or one from before these lines, is compared in full.
func unchangedRecord(b []byte, opts Options) bool {
	if len(opts.FlagKeys) > 0 {
		return false
	}
	const pre = "{\n  \"hash\": \""
	if len(b) < len(pre)+18 || string(b[:len(pre)]) != pre {
		return false
	}
	rest := b[len(pre)+16:] // the effective values' hash, not compared
	user := opts.Config.UserMode()
	for _, c := range []byte(user) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false // written escaped, maybe: compared in full
		}
	}
	want := "\",\n  \"file_hash\": \"" + config.Hash(opts.FileConfig.SandboxValues()) + "\",\n  \"session_user\": \"" + user + "\",\n"
	return bytes.HasPrefix(rest, []byte(want))
}

// ConfigChangedError says that the running sandbox has an older config.
type ConfigChangedError struct {
	Name     string
	Keys     []string
	Old, New map[string]string
}

func (e *ConfigChangedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "sandbox %s is running with a different config; changed: %s", e.Name, strings.Join(e.Keys, ", "))
	for _, k := range e.Keys {
		fmt.Fprintf(&b, "\n  %s: %q -> %q", k, e.Old[k], e.New[k])
	}
	for _, k := range e.Keys {
		if k == "image" {
			return b.String() + "\nThe image changed: recreate the sandbox with 'devbox rm --force " + e.Name + "' (this deletes its private home), then enter again."
		}
	}
	return b.String() + "\nRun 'devbox restart' to apply it (this ends the sandbox's running sessions)."
}

// protectedPaths is the project-relative paths a strict sandbox protects:
// internal/protect's list from the config, plus git's core.hooksPath
// where it names a place in the project (a path elsewhere is not
// writable inside, or is a mount the user chose).
func protectedPaths(dir string, c config.Config) []string {
	if c.Security != config.SecurityStrict {
		return nil
	}
	return protect.List(!c.ProtectDefaults, c.GitWrites, c.Protect, hooksPath(dir))
}

// hooksPath reads core.hooksPath from the project's .git/config, relative
// to the project; "" when unset or outside it.
func hooksPath(dir string) string {
	b, err := regfile.Read(filepath.Join(dir, ".git", "config"), 1<<20)
	if err != nil {
		return ""
	}
	h := protect.HooksPath(string(b))
	if h == "" || strings.HasPrefix(h, "~") {
		return "" // unset, or in the home: outside the project
	}
	if !filepath.IsAbs(h) {
		return h // git runs hooks from the top of the work tree
	}
	rel, err := filepath.Rel(dir, h)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return ""
	}
	return rel
}
