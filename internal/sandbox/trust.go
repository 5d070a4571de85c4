package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/devbox-dev/devbox/hint"
	"github.com/devbox-dev/devbox/internal/config"
	"github.com/devbox-dev/devbox/internal/state"
	"github.com/devbox-dev/devbox/regfile"
)

// Code in a sandbox can write the project, so devbox.toml is not the user's
// word alone. Each project's approved config is kept in the user's data dir,
// which no sandbox sees: the config it last ran with, or what 'devbox
// trust' approved. A devbox.toml that asks for more (config.Widening) is
// refused until it is approved; one that asks for the same or less runs and
// becomes the record, so widening it again needs approval again.

// TrustRecord is a project's approved config.
type TrustRecord struct {
	Project string    `json:"project"`
	Time    time.Time `json:"time"`
	// By is how it was recorded: "devbox trust", "prompt" (a yes on the
	// terminal) or "start" (a config no wider than the one before).
	By     string        `json:"by"`
	Config config.Config `json:"config"`
}

// Ways a trust record is written.
const (
	ByTrust  = "devbox trust"
	ByPrompt = "prompt"
	ByStart  = "start"
)

// trustPath is the project's record: one file per project path.
func trustPath(project string) (string, error) { return state.TrustPath(project) }

// ReadTrust returns the project's record; ok is false when there is none,
// and then the defaults are what is approved.
func ReadTrust(project string) (rec TrustRecord, ok bool, err error) {
	path, err := trustPath(project)
	if err != nil {
		return rec, false, err
	}
	b, err := regfile.Read(path, config.MaxFileSize)
	if errors.Is(err, os.ErrNotExist) {
		return TrustRecord{Project: project, Config: config.Defaults()}, false, nil
	}
	if err != nil {
		return rec, false, fmt.Errorf("read trust record: %w", err)
	}
	if err := json.Unmarshal(b, &rec); err != nil || rec.Project != project {
		return rec, false, hint.Wrap(fmt.Errorf("read trust record %s: damaged or for another project", path),
			"remove it and approve the project's devbox.toml again: rm "+path+" && devbox trust")
	}
	return rec, true, nil
}

// writeTrust stores file as the project's approved config.
func writeTrust(project string, file config.Config, by string) error {
	path, err := trustPath(project)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(TrustRecord{Project: project, Time: time.Now().UTC(), By: by, Config: file}, "", "  ")
	if err != nil {
		return fmt.Errorf("encode trust record: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create trust dir: %w", err)
	}
	if dp, err := digestPath(project); err == nil {
		if err := os.Remove(dp); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove stale config digest: %w", err)
		}
	}
	return state.WriteFileAtomic(path, b, 0o600)
}

func sameConfig(a, b config.Config) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

// Pending returns what the project's devbox.toml (file, its config alone)
// asks for beyond the approved record.
func Pending(project string, file config.Config) ([]config.Change, TrustRecord, bool, error) {
	rec, ok, err := ReadTrust(project)
	if err != nil {
		return nil, rec, false, err
	}
	return config.Widening(rec.Config, file), rec, ok, nil
}

// Trust approves the project's devbox.toml as it is now and returns what
// it approved beyond the record before.
func Trust(project string, file config.Config) ([]config.Change, error) {
	changes, _, _, err := Pending(project, file)
	if err != nil {
		return nil, err
	}
	return changes, writeTrust(project, file, ByTrust)
}

// checkTrust refuses a devbox.toml wider than the project's record, unless
// opts.Approve (a question on the terminal) says yes. A config no wider is
// recorded as the one the project last ran with.
func checkTrust(opts Options) error {
	if approvedDigest(opts.Project, opts.FileDigest) {
		return nil // the common case: this very load was approved before
	}
	changes, rec, ok, err := Pending(opts.Project, opts.FileConfig)
	if err != nil {
		return err
	}
	if len(changes) == 0 {
		if ok && sameConfig(rec.Config, opts.FileConfig) {
			return writeDigest(opts.Project, opts.FileDigest)
		}
		return trustLoad(opts, ByStart)
	}
	if opts.Approve != nil && opts.Approve(changes) {
		return trustLoad(opts, ByPrompt)
	}
	e := &UntrustedError{Project: opts.Project, Changes: changes}
	return hint.Wrap(e, e.hint())
}

// trustLoad records opts' file config as approved, with its load's digest.
func trustLoad(opts Options, by string) error {
	if err := writeTrust(opts.Project, opts.FileConfig, by); err != nil {
		return err
	}
	return writeDigest(opts.Project, opts.FileDigest)
}

// digestPath is beside the project's record: the digest of the load
// (config.LoadFileDigest) whose config the record approves. writeTrust
// removes it first, so it never outlives a record it does not match.
func digestPath(project string) (string, error) { return state.TrustDigestPath(project) }

// approvedDigest reports whether the record approves the load with this
// digest ("" matches nothing).
func approvedDigest(project, digest string) bool {
	path, err := digestPath(project)
	if err != nil || digest == "" {
		return false
	}
	b, err := regfile.Read(path, 256)
	return err == nil && string(b) == digest
}

// writeDigest records digest as the approved load's; a failure only loses
// the fast path.
func writeDigest(project, digest string) error {
	path, err := digestPath(project)
	if err != nil || digest == "" {
		return nil
	}
	if err := state.WriteFileAtomic(path, []byte(digest), 0o600); err != nil {
		return fmt.Errorf("record approved config digest: %w", err)
	}
	return nil
}

// UntrustedError is a devbox.toml that asks for more access than approved.
type UntrustedError struct {
	Project string
	Changes []config.Change
}

func (e *UntrustedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s asks for more access to this machine than approved for %s:", config.FileName, e.Project)
	for _, c := range e.Changes {
		fmt.Fprintf(&b, "\n  %s", c)
	}
	return b.String()
}

// hint says how to approve; code in a sandbox may have made the change.
func (e *UntrustedError) hint() string {
	return "code in a sandbox can write the project, so check these changes; if they are yours, approve them with 'devbox trust' in " + e.Project + " ('devbox trust --show' shows what is approved)"
}
