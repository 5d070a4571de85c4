package state

// The denial log of a strict sandbox: one JSON line per refused attempt,
// written by the supervisor's proxy, read by `devbox logs --denials` and
// followed by the client while its session runs. It lives with the
// sandbox's persistent data, so it outlives a stop; a --rm sandbox keeps
// it in its runtime dir.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// DenialsFile is the log's name.
const DenialsFile = "denials.jsonl"

// Denial is one refused attempt.
type Denial struct {
	Time time.Time `json:"time"`
	// Session is the process that tried, as "pid N (comm)" seen from the
	// host, when the supervisor could tell; else empty.
	Session string `json:"session,omitempty"`
	// Kind is the reason, one of package egress's Kind values.
	Kind string `json:"kind"`
	// Target is what was asked for: host:port, with the method.
	Target string `json:"target"`
	// Rule is the pattern that refused it (a deny rule); empty when no
	// rule allowed it.
	Rule string `json:"rule,omitempty"`
	// Message says what happened; Fix the config line or command that
	// would allow it, when one would.
	Message string `json:"message"`
	Fix     string `json:"fix,omitempty"`
}

// Line is the denial as one line for a terminal.
func (d Denial) Line() string {
	s := "devbox: blocked " + d.Message
	if d.Fix != "" {
		s += "; " + d.Fix
	}
	return s
}

// DenialsPath is where the log of sandbox name is: in its data dir, or in
// runtimeDir for an ephemeral sandbox.
func DenialsPath(name string, ephemeral bool, runtimeDir string) (string, error) {
	if ephemeral {
		return filepath.Join(runtimeDir, DenialsFile), nil
	}
	data, err := DataRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(data, "sandboxes", name, DenialsFile), nil
}

// maxDenialsSize is where the log rotates: the full file becomes
// path.1 (replacing the one before) and records go on in a new one. Code in
// the sandbox decides how many attempts are refused, so what it makes the
// supervisor write must be bounded: at most about twice this on disk.
var maxDenialsSize int64 = 4 << 20

// appendMu serialises the rotation between one supervisor's writers (its
// proxy and its connect notifier).
var appendMu sync.Mutex

// AppendDenial adds one record to the log at path; one write per record,
// so concurrent appends never interleave.
func AppendDenial(path string, d Denial) error {
	b, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("encode denial: %w", err)
	}
	appendMu.Lock()
	defer appendMu.Unlock()
	if fi, err := os.Stat(path); err == nil && fi.Size() >= maxDenialsSize {
		if err := os.Rename(path, path+".1"); err != nil {
			return fmt.Errorf("rotate denial log: %w", err)
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open denial log: %w", err)
	}
	defer f.Close()
	if _, err := f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("write denial log: %w", err)
	}
	return nil
}

// AllDenials reads every record kept: the rotated file's, then the log's.
func AllDenials(path string) ([]Denial, error) {
	old, _, err := ReadDenials(path+".1", 0)
	if err != nil {
		return nil, err
	}
	cur, _, err := ReadDenials(path, 0)
	return append(old, cur...), err
}

// ReadDenials reads the complete records of the log at path from byte
// offset on, and returns the offset after the last one. A missing log has
// no records; a log shorter than offset was rotated since, and is read
// from its start.
func ReadDenials(path string, offset int64) ([]Denial, int64, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, offset, nil
	}
	if err != nil {
		return nil, offset, fmt.Errorf("open denial log: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() < offset {
		offset = 0
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return nil, offset, fmt.Errorf("read denial log: %w", err)
	}
	return parseDenials(bufio.NewReader(f), offset)
}

func parseDenials(r *bufio.Reader, offset int64) ([]Denial, int64, error) {
	var out []Denial
	for {
		line, err := r.ReadBytes('\n')
		if err != nil { // EOF, or a record still being written
			return out, offset, nil
		}
		offset += int64(len(line))
		var d Denial
		if json.Unmarshal(bytes.TrimSpace(line), &d) == nil {
			out = append(out, d)
		}
	}
}

// DenialsSize is the log's current length, where a follower starts.
func DenialsSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}
