package config

import (
	"maps"
	"sort"

	"github.com/devbox-dev/devbox/cgroupv2"
)

// Record is the config a sandbox was started with, kept in its runtime dir
// for the one join check: the effective values (file plus flags) and the
// file's own, so a later join can tell a changed devbox.toml from flags it
// simply does not repeat.
type Record struct {
	Hash string `json:"hash"`
	// FileHash is FileValues' hash, and SessionUser the user sessions run
	// as by default (Config.UserMode of the effective config). With them a
	// join without config flags finds the config unchanged, and its user
	// the same, from the record's first lines (sandbox.checkJoin); records
	// from before them lack them and are compared in full.
	FileHash    string            `json:"file_hash,omitempty"`
	SessionUser string            `json:"session_user,omitempty"`
	Values      map[string]string `json:"values"`
	FileValues  map[string]string `json:"file_values"`
	// Limits are the [limits] in effect: those started with, then changed
	// by 'devbox update' (WithLimits).
	Limits Limits `json:"limits"`
}

// NewRecord records c, the effective config, and file, the file's alone.
func NewRecord(c, file Config) Record {
	v, fv := c.SandboxValues(), file.SandboxValues()
	return Record{Hash: Hash(v), FileHash: Hash(fv), SessionUser: c.UserMode(), Values: v, FileValues: fv, Limits: c.Limits}
}

// JoinChanges lists the keys in which a command's config differs from the
// running sandbox's record, sorted: cur is its effective config, file the
// file's alone, and flagKeys the keys its flags set. A key counts as
// changed when devbox.toml changed it, or when a flag given now asks for
// another value; flags given at creation and not repeated now are not a
// change.
func (r Record) JoinChanges(cur, file Config, flagKeys map[string]bool) []string {
	seen := map[string]bool{}
	var keys []string
	add := func(k string) {
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	for _, k := range Changed(r.FileValues, file.SandboxValues()) {
		// Without a user in the file or the flags, a sandbox keeps the
		// user it started with (root, the default before 'self') until
		// 'devbox restart'.
		if k == "user" && cur.User == "" {
			continue
		}
		add(k)
	}
	for _, k := range Changed(r.Values, cur.SandboxValues()) {
		if flagKeys[k] {
			add(k)
		}
	}
	sort.Strings(keys)
	return keys
}

// UserMode is the user the sandbox's sessions run as by default: the
// recorded user, self when none was given.
func (r Record) UserMode() string {
	return Config{User: r.Values["user"]}.UserMode()
}

// WithLimits returns the record after 'devbox update' merged upd into the
// limits in effect: the recorded "limits" value and the hash follow, so a
// later join that asks for the limits now in effect is not a change.
func (r Record) WithLimits(upd cgroupv2.Limits) Record {
	r.Limits.Limits = r.Limits.Limits.Merge(upd)
	const key = "limits"
	v := maps.Clone(r.Values)
	if v == nil {
		v = map[string]string{}
	}
	v[key] = Config{Limits: r.Limits}.SandboxValues()[key]
	r.Values, r.Hash = v, Hash(v)
	return r
}
