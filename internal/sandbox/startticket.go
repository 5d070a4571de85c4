package sandbox

// The start ticket the full client leaves for the fast start
// (internal/session/startticket.go): what this start of a throwaway
// sandbox sent, and what it checked, for the next `devbox run --rm` with
// the same command line, which cmd/devbox then starts itself.

import (
	"bytes"
	"io"
	"os"
	"path/filepath"

	"github.com/devbox-dev/devbox/internal/config"
	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/session"
	"github.com/devbox-dev/devbox/shellinit"
)

// StartFlags are the flags of a command line the fast start parses
// (session.ParseStart): --network as given, when NetworkSet.
type StartFlags struct {
	Network    string
	NetworkSet bool
}

// startTicketFor is the start ticket of the start of opts that sent spec,
// and whether there is one: only for a config whose start depends on
// nothing of the host but what the ticket checks.
func startTicketFor(opts Options, spec proto.Spec) (session.StartTicket, bool) {
	c := opts.Config
	if opts.StartFlags == nil || !opts.Ephemeral || opts.Image != nil || opts.FileDigest == "" || spec.ScopeError != "" ||
		len(c.Setup) > 0 || c.Security == config.SecurityStrict || c.Review() || len(c.Mounts) > 0 ||
		len(c.HomeFiles) > 0 || c.ForwardSSHAgent || c.GUI || len(socketMounts(c, nil)) > 0 {
		return session.StartTicket{}, false
	}
	t := session.StartTicket{Pin: opts.PinName, Network: opts.StartFlags.Network, NetworkSet: opts.StartFlags.NetworkSet,
		UID: spec.UID, GID: spec.GID, EnvSum: session.EnvSum(os.Environ()), Hidden: spec.Hidden, Hostname: c.Hostname}
	t.Digest, t.Env, t.Template = opts.FileDigest, opts.FileEnv, newTemplate(opts)
	t.Template.Name = opts.PinName // each start has its own
	for _, m := range spec.Mounts {
		t.Present = append(t.Present, m.Source)
		if m.Target == shellinit.RCDir {
			t.RC = m.Source
		}
	}
	t.Absent = absentIdentityFiles(c)
	var ok bool
	if t.Spec, ok = templateSpec(spec, c.Hostname == ""); !ok {
		return t, false
	}
	rec, err := configRecord(opts)
	if err != nil || bytes.Contains(rec, []byte(opts.Name)) {
		return t, false
	}
	t.ConfigRecord = string(rec)
	return t, t.RC != ""
}

// absentIdentityFiles are the identity files of the home that a start
// would bind (homeMounts) if they existed.
func absentIdentityFiles(c config.Config) []string {
	home := HostHome()
	if c.Home != config.HomePrivate || home == "" {
		return nil
	}
	var out []string
	for _, p := range identityFiles {
		if src := filepath.Join(home, p); !exists(src) {
			out = append(out, src)
		}
	}
	return out
}

// templateSpec is spec as JSON with the placeholders for what each start
// has of its own (its hostname only when derived from its name).
func templateSpec(spec proto.Spec, derivedHostname bool) (string, bool) {
	name := spec.Name
	spec.Name, spec.StateDir = session.SpecName, session.SpecStateDir
	if derivedHostname {
		spec.Hostname = session.SpecHostname
	}
	b, err := proto.MarshalSpec(spec)
	if err != nil || !session.SpecPlaceholders(b, name, derivedHostname) {
		return "", false
	}
	return string(b), true
}

// leaveStartTicket writes the start ticket of the start of opts that sent
// spec, into the runtime dir root, unless the start printed something
// (warned) or there is none for it; a ticket that is already there as it
// is stays. A failure only costs the next start its speed.
func leaveStartTicket(root string, opts Options, spec proto.Spec, warned bool) {
	t, ok := startTicketFor(opts, spec)
	if !ok || warned {
		return
	}
	if old, err := session.ReadSmall(t.Path(root)); err == nil && bytes.Equal(old, t.Encode()) {
		return
	}
	if session.WriteStartTicket(root, t) == nil {
		session.PruneStartTickets(root)
	}
}

// warned reports whether w, when a noticeWriter, had anything written.
func warned(w io.Writer) bool {
	n, ok := w.(*noticeWriter)
	return ok && n.wrote
}

// noticeWriter passes writes on to w and records that there were any.
type noticeWriter struct {
	w     io.Writer
	wrote bool
}

func (n *noticeWriter) Write(b []byte) (int, error) {
	n.wrote = true
	if n.w == nil {
		return len(b), nil
	}
	return n.w.Write(b)
}
