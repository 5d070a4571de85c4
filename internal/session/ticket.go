package session

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/devbox-dev/devbox/internal/state"
	"github.com/devbox-dev/devbox/internal/wire"
	"golang.org/x/sys/unix"
)

// A join ticket is what the full client leaves in a running sandbox's
// runtime dir once a command line without flags has joined it (or started
// it): the session template it built, and what it checked to build it,
// identified cheaply. The next such command line in the project (the fast
// join, fast.go) checks that nothing of it changed, and builds the same
// request from the template without parsing devbox.toml:
//   - the sandbox is the same instance: its socket and its config record
//     (config.json, which 'devbox update' rewrites) are the same files;
//   - the config is the same load: the digest of devbox.toml's bytes, the
//     project, the home, the variables the load looked up and the build
//     that parsed it (digest.Sum) is the ticket's;
//   - that load is still approved: the trust record's digest is that
//     digest (the trust check's own fast path).
//
// The runtime dir is the user's own (0700), and no sandbox sees it: code in
// a sandbox cannot write a ticket. A ticket it cannot read, or one from
// another devbox, only sends the command line to the full client.

// TicketFile is the join ticket in a sandbox's runtime dir.
const TicketFile = "join-ticket"

// ticketMagic starts a ticket; the number changes with the format.
const ticketMagic = "devbox join ticket 1"

// Ticket is one join ticket.
type Ticket struct {
	// Socket and Record identify the sandbox's socket and its config
	// record.
	Socket, Record FileID
	// Digest is the digest of the config's load (digest.Sum), and Env the
	// variables it looked up.
	Digest string
	Env    []string
	// Denials is a strict sandbox's denial log, which a session's client
	// follows.
	Denials string
	// ShortName is the sandbox's ShortName while the directories it lists
	// are NameDirs.
	ShortName string
	NameDirs  []FileID
	Template  Template
}

// FileID identifies one version of a file: a rewrite (a new file renamed
// over it) or a write changes it.
type FileID struct {
	Dev, Ino uint64
	Size     int64
	Mtime    int64 // nanoseconds
}

// StatID is the FileID of path (not followed when a symlink).
func StatID(path string) (FileID, error) {
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		return FileID{}, err
	}
	return FileID{Dev: st.Dev, Ino: st.Ino, Size: st.Size, Mtime: st.Mtim.Nano()}, nil
}

// WriteTicket stores t in the sandbox's runtime dir, replacing any ticket
// there.
func WriteTicket(dir string, t Ticket) error {
	if err := state.WriteFileAtomic(filepath.Join(dir, TicketFile), t.Encode(), 0o600); err != nil {
		return fmt.Errorf("write the join ticket: %w", err)
	}
	return nil
}

// ReadTicket reads the ticket of the sandbox whose runtime dir is dir.
func ReadTicket(dir string) (Ticket, error) {
	b, err := ReadSmall(filepath.Join(dir, TicketFile))
	if err != nil {
		return Ticket{}, err
	}
	return DecodeTicket(b)
}

// Encode writes t as lines of a key and a value: strings quoted as Go
// quotes them, lists as one line per element.
func (t Ticket) Encode() []byte {
	w := ticketWriter{b: append(make([]byte, 0, 2048), ticketMagic+"\n"...)}
	t.write(&w)
	return w.b
}

// write writes t's lines.
func (t Ticket) write(w *ticketWriter) {
	w.id("socket", t.Socket)
	w.id("record", t.Record)
	w.str("digest", t.Digest)
	w.strs("env", t.Env)
	w.str("denials", t.Denials)
	w.str("short_name", t.ShortName)
	for _, id := range t.NameDirs {
		w.id("name_dir", id)
	}
	m := t.Template
	w.str("name", m.Name)
	w.str("project", m.Project)
	w.str("home", m.Home)
	w.str("shell", m.Shell)
	w.str("workdir", m.Workdir)
	w.strs("pass", m.Pass)
	w.strs("extra", m.Extra)
	w.flag("gui", m.GUI)
	w.strs("post", m.Post)
	if m.KeepID != nil {
		w.line("keep_id", strconv.FormatUint(uint64(m.KeepID.UID), 10)+":"+strconv.FormatUint(uint64(m.KeepID.GID), 10))
	}
	w.flag("host_view", m.HostView)
	w.strs("image_env", m.ImageEnv)
	w.str("image_workdir", m.ImageWorkdir)
	w.str("image_shell", m.ImageShell)
	w.strs("config_env", m.Env)
	w.str("user", m.User)
}

type ticketWriter struct{ b []byte }

func (w *ticketWriter) line(key, value string) {
	w.b = append(append(append(append(w.b, key...), ' '), value...), '\n')
}

// str writes a string; an empty one is left out.
func (w *ticketWriter) str(key, s string) {
	if s != "" {
		w.line(key, strconv.Quote(s))
	}
}

func (w *ticketWriter) strs(key string, ss []string) {
	for _, s := range ss {
		w.line(key, strconv.Quote(s))
	}
}

func (w *ticketWriter) flag(key string, on bool) {
	if on {
		w.line(key, "true")
	}
}

func (w *ticketWriter) id(key string, f FileID) {
	w.line(key, strconv.FormatUint(f.Dev, 10)+" "+strconv.FormatUint(f.Ino, 10)+" "+strconv.FormatInt(f.Size, 10)+" "+strconv.FormatInt(f.Mtime, 10))
}

// errTicket is a ticket that is not one this devbox writes.
var errTicket = errors.New("not a ticket of this devbox")

// DecodeTicket reads a ticket Encode wrote; anything else is an error.
func DecodeTicket(b []byte) (Ticket, error) {
	var t Ticket
	if err := decodeLines(b, ticketMagic, t.set); err != nil {
		return Ticket{}, err
	}
	return t, nil
}

// decodeLines reads the lines of a ticket that starts with magic, each
// with set.
func decodeLines(b []byte, magic string, set func(key, value string) error) error {
	text, ok := strings.CutPrefix(string(b), magic+"\n")
	if !ok || text != "" && !strings.HasSuffix(text, "\n") {
		return errTicket
	}
	lines := strings.Split(text, "\n")
	for _, l := range lines[:len(lines)-1] {
		key, value, _ := strings.Cut(l, " ")
		if err := set(key, value); err != nil {
			return fmt.Errorf("%w: %s: %v", errTicket, key, err)
		}
	}
	return nil
}

// set reads one line's value into t.
func (t *Ticket) set(key, value string) error {
	m := &t.Template
	switch key {
	case "socket":
		return setID(&t.Socket, value)
	case "record":
		return setID(&t.Record, value)
	case "name_dir":
		var id FileID
		t.NameDirs = append(t.NameDirs, id)
		return setID(&t.NameDirs[len(t.NameDirs)-1], value)
	case "gui":
		return setFlag(&m.GUI, value)
	case "host_view":
		return setFlag(&m.HostView, value)
	case "keep_id":
		return setKeepID(m, value)
	}
	if p := t.stringField(key); p != nil {
		return setString(p, value)
	}
	if p := t.listField(key); p != nil {
		s, err := strconv.Unquote(value)
		*p = append(*p, s)
		return err
	}
	return errors.New("unknown key")
}

func (t *Ticket) stringField(key string) *string {
	m := &t.Template
	switch key {
	case "digest":
		return &t.Digest
	case "denials":
		return &t.Denials
	case "short_name":
		return &t.ShortName
	case "name":
		return &m.Name
	case "project":
		return &m.Project
	case "home":
		return &m.Home
	case "shell":
		return &m.Shell
	case "workdir":
		return &m.Workdir
	case "image_workdir":
		return &m.ImageWorkdir
	case "image_shell":
		return &m.ImageShell
	case "user":
		return &m.User
	}
	return nil
}

func (t *Ticket) listField(key string) *[]string {
	m := &t.Template
	switch key {
	case "env":
		return &t.Env
	case "pass":
		return &m.Pass
	case "extra":
		return &m.Extra
	case "post":
		return &m.Post
	case "image_env":
		return &m.ImageEnv
	case "config_env":
		return &m.Env
	}
	return nil
}

// setFlag sets *p once; Encode writes only flags that are on.
func setFlag(p *bool, value string) error {
	if value != "true" || *p {
		return errors.New("want one true")
	}
	*p = true
	return nil
}

// setString sets *p once, from a quoted value that is not empty (Encode
// leaves empty strings out).
func setString(p *string, value string) error {
	s, err := strconv.Unquote(value)
	switch {
	case err != nil:
		return err
	case *p != "" || s == "":
		return errors.New("repeated or empty")
	}
	*p = s
	return nil
}

func setID(f *FileID, value string) error {
	parts := strings.Split(value, " ")
	if len(parts) != 4 {
		return errors.New("want dev ino size mtime")
	}
	var err [4]error
	f.Dev, err[0] = strconv.ParseUint(parts[0], 10, 64)
	f.Ino, err[1] = strconv.ParseUint(parts[1], 10, 64)
	f.Size, err[2] = strconv.ParseInt(parts[2], 10, 64)
	f.Mtime, err[3] = strconv.ParseInt(parts[3], 10, 64)
	return errors.Join(err[:]...)
}

func setKeepID(m *Template, value string) error {
	u, g, ok := strings.Cut(value, ":")
	uid, err1 := strconv.ParseUint(u, 10, 32)
	gid, err2 := strconv.ParseUint(g, 10, 32)
	if !ok || err1 != nil || err2 != nil || m.KeepID != nil {
		return errors.New("want one uid:gid")
	}
	m.KeepID = &wire.KeepID{UID: uint32(uid), GID: uint32(gid)}
	return nil
}
