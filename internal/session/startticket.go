package session

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/devbox-dev/devbox/internal/state"
	"github.com/devbox-dev/devbox/internal/trace"
	"github.com/devbox-dev/devbox/internal/wire"
)

// A start ticket is what the full client leaves in the user's runtime dir
// once it has started a throwaway sandbox (run --rm) for a command line
// the fast start (faststart.go) parses: the launch spec it sent and the
// config record it wrote, with the sandbox's own name, runtime dir and
// hostname left as placeholders, and what it checked to make them,
// identified cheaply. The next such command line checks that nothing of
// it changed and starts the sandbox from the ticket, without parsing
// devbox.toml:
//   - the same command line: the same project, sandbox name and
//     --network;
//   - the same load of devbox.toml, still approved (as for a join ticket:
//     ticket.go);
//   - the same environment, but for what a shell changes between two
//     commands (EnvSum): the spec's paths, the home, devbox's own dirs and
//     the user-mode network's default all come from it;
//   - the same host: the user's ids, devbox's own dirs with their
//     symlinks resolved (which every sandbox must not see), the shell's rc
//     files (checked and rewritten as a start does), and which of the
//     home's identity files exist.
//
// The full client writes one only for a start that printed nothing: no
// warning, no notice. It writes none for a config whose start depends on
// more of the host than these: extra mounts, home files, the agent's or
// the display's sockets, the strict profile, review mode, an image.
//
// The runtime dir is the user's own (0700), hidden from every sandbox: code
// in a sandbox cannot write a ticket.

// startMagic starts a start ticket; the number changes with the format.
const startMagic = "devbox start ticket 1"

// The placeholders a start ticket's spec holds for what each start has of
// its own; no real name, path or hostname holds a NUL.
const (
	SpecName     = "\x00devbox:name"
	SpecStateDir = "\x00devbox:state_dir"
	SpecHostname = "\x00devbox:hostname"
)

// StartTicket is one start ticket. Its Ticket holds the config's digest,
// the variables the load looked up, and the session template (Name is the
// name of the start that wrote it).
type StartTicket struct {
	Ticket
	// Pin is the sandbox name the start's own name derives from: --name,
	// else the project's.
	Pin string
	// Network is --network as given, when NetworkSet.
	Network    string
	NetworkSet bool
	UID, GID   uint32
	// EnvSum is the environment's EnvSum.
	EnvSum string
	// Hidden are state.DevboxDirs; RC the shell rc dir
	// (shellinit.EnsureRC's).
	Hidden []string
	RC     string
	// Present and Absent are the files whose existence the spec's mounts
	// depend on.
	Present, Absent []string
	// Hostname is the config's hostname; "" derives it from the name.
	Hostname string
	// Spec is the launch spec and ConfigRecord the config record
	// (config.json), as JSON, with the placeholders.
	Spec, ConfigRecord string
}

// startTicketSuffix ends a start ticket's name.
const startTicketSuffix = ".start-ticket"

// IsStartTicket reports whether a runtime root entry is a start ticket.
func IsStartTicket(name string) bool { return strings.HasSuffix(name, startTicketSuffix) }

// StartTicketPath is the start ticket, in the runtime dir root, of
// throwaway sandboxes named after pin and started with --network network
// when networkSet: one for each command line, so that two run in turn
// keep a ticket each. No sandbox name holds a dot, and a network a
// ticket names is a word (ValidTicketNetwork).
func StartTicketPath(root, pin, network string, networkSet bool) string {
	name := pin
	if networkSet {
		name += ".net-" + network
	}
	return filepath.Join(root, name+startTicketSuffix)
}

// ValidTicketNetwork reports whether --network v can name a start ticket:
// lowercase letters and digits, as every driver's name. Any other value
// goes to the full client, which says what is wrong with it.
func ValidTicketNetwork(v string) bool {
	if v == "" {
		return false
	}
	for _, c := range v {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// Path is t's file in the runtime dir root.
func (t StartTicket) Path(root string) string {
	return StartTicketPath(root, t.Pin, t.Network, t.NetworkSet)
}

// WriteStartTicket stores t in the runtime dir root, replacing any ticket
// there for the same command line.
func WriteStartTicket(root string, t StartTicket) error {
	if err := state.WriteFileAtomic(t.Path(root), t.Encode(), 0o600); err != nil {
		return fmt.Errorf("write the start ticket: %w", err)
	}
	return nil
}

// maxStartTickets bounds the start tickets a runtime root keeps: one for
// each project and command line run with --rm, which a CI runner that
// checks each job out in a dir of its own would otherwise pile up until
// the next boot. 64 of about 5 KiB each.
const maxStartTickets = 64

// PruneStartTickets removes the oldest start tickets of the runtime dir
// root beyond maxStartTickets; a ticket removed only costs its next start
// the full client's time.
func PruneStartTickets(root string) {
	ents, err := os.ReadDir(root)
	if err != nil {
		return
	}
	type ticket struct {
		name  string
		mtime int64
	}
	var all []ticket
	for _, e := range ents {
		if info, err := e.Info(); err == nil && IsStartTicket(e.Name()) && info.Mode().IsRegular() {
			all = append(all, ticket{e.Name(), info.ModTime().UnixNano()})
		}
	}
	if len(all) <= maxStartTickets {
		return
	}
	slices.SortFunc(all, func(a, b ticket) int { return cmp.Compare(a.mtime, b.mtime) })
	for _, t := range all[:len(all)-maxStartTickets] {
		os.Remove(filepath.Join(root, t.name))
	}
}

// ReadStartTicket reads the start ticket at path.
func ReadStartTicket(path string) (StartTicket, error) {
	b, err := ReadSmall(path)
	if err != nil {
		return StartTicket{}, err
	}
	return DecodeStartTicket(b)
}

// Encode writes t as a join ticket's lines, then its own.
func (t StartTicket) Encode() []byte {
	w := ticketWriter{b: append(make([]byte, 0, 8192), startMagic+"\n"...)}
	t.Ticket.write(&w)
	w.str("pin", t.Pin)
	if t.NetworkSet {
		w.line("network", strconv.Quote(t.Network))
	}
	w.line("uid", strconv.FormatUint(uint64(t.UID), 10))
	w.line("gid", strconv.FormatUint(uint64(t.GID), 10))
	w.str("env_sum", t.EnvSum)
	w.strs("hidden", t.Hidden)
	w.str("rc", t.RC)
	w.strs("present", t.Present)
	w.strs("absent", t.Absent)
	w.str("hostname", t.Hostname)
	w.str("spec", t.Spec)
	w.str("config_record", t.ConfigRecord)
	return w.b
}

// DecodeStartTicket reads a start ticket Encode wrote; anything else is
// an error.
func DecodeStartTicket(b []byte) (StartTicket, error) {
	var t StartTicket
	if err := decodeLines(b, startMagic, t.set); err != nil {
		return StartTicket{}, err
	}
	if t.Pin == "" || t.Spec == "" || t.ConfigRecord == "" {
		return StartTicket{}, fmt.Errorf("%w: incomplete", errTicket)
	}
	return t, nil
}

func (t *StartTicket) set(key, value string) error {
	switch key {
	case "network":
		s, err := strconv.Unquote(value)
		if err != nil || t.NetworkSet {
			return errors.New("want one quoted value")
		}
		t.Network, t.NetworkSet = s, true
		return nil
	case "uid":
		return setUint32(&t.UID, value)
	case "gid":
		return setUint32(&t.GID, value)
	}
	if p := t.startString(key); p != nil {
		return setString(p, value)
	}
	if p := t.startList(key); p != nil {
		s, err := strconv.Unquote(value)
		*p = append(*p, s)
		return err
	}
	return t.Ticket.set(key, value)
}

func (t *StartTicket) startList(key string) *[]string {
	switch key {
	case "hidden":
		return &t.Hidden
	case "present":
		return &t.Present
	case "absent":
		return &t.Absent
	}
	return nil
}

func (t *StartTicket) startString(key string) *string {
	switch key {
	case "pin":
		return &t.Pin
	case "env_sum":
		return &t.EnvSum
	case "rc":
		return &t.RC
	case "hostname":
		return &t.Hostname
	case "spec":
		return &t.Spec
	case "config_record":
		return &t.ConfigRecord
	}
	return nil
}

func setUint32(p *uint32, value string) error {
	n, err := strconv.ParseUint(value, 10, 32)
	*p = uint32(n)
	return err
}

// FillSpec is the ticket's spec for a start of its own: the placeholders
// replaced by name, its runtime dir and its hostname (the config's when it
// has one, else derived from name by hostname).
func (t StartTicket) FillSpec(name, dir string, hostname func(string) string) []byte {
	h := t.Hostname
	if h == "" {
		h = hostname(name)
	}
	r := strings.NewReplacer(jsonString(SpecName), jsonString(name), jsonString(SpecStateDir), jsonString(dir),
		jsonString(SpecHostname), jsonString(h))
	return []byte(r.Replace(t.Spec))
}

// SpecPlaceholders reports whether spec, as JSON, holds each placeholder
// once (the hostname's only when derived is true) and nothing of the
// start's own name besides: what FillSpec can make a start's spec of.
func SpecPlaceholders(spec []byte, name string, derived bool) bool {
	s := string(spec)
	once := func(p string) bool { return strings.Count(s, jsonString(p)) == 1 }
	return once(SpecName) && once(SpecStateDir) && (once(SpecHostname) == derived) && !strings.Contains(s, name)
}

// jsonString is s as a JSON string, as encoding/json writes one holding
// no HTML characters.
func jsonString(s string) string { return string(wire.AppendString(nil, s)) }

// volatileVars are the variables a shell changes between two commands,
// which no start depends on: EnvSum leaves them out. So is the padding
// hyperfine adds to every run's environment, a different length each time
// (to vary the stack's alignment): with it, no run it times could use a
// ticket, and it would time a start that users, who never have it, do
// not get. So is DEVBOX_TRACE, which only times the start (--trace sets
// it too). A session still gets them, as every variable, from the
// environment it runs in.
var volatileVars = []string{"_", "OLDPWD", "PWD", "SHLVL", "COLUMNS", "LINES", "HYPERFINE_RANDOMIZED_ENVIRONMENT_OFFSET", trace.Env}

// EnvSum is the digest of environ without the volatile variables and
// devbox's own private ones (_DEVBOX_...), whatever their order.
func EnvSum(environ []string) string {
	keep := make([]string, 0, len(environ))
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		if slices.Contains(volatileVars, k) || strings.HasPrefix(k, "_DEVBOX_") {
			continue
		}
		keep = append(keep, kv)
	}
	slices.Sort(keep)
	h := sha256.New()
	for _, kv := range keep {
		h.Write([]byte(kv))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}
