package sandbox

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/devbox-dev/devbox/internal/config"
	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/session"
	"github.com/devbox-dev/devbox/internal/state"
)

// setupRecord is what the setup steps last did in a sandbox: the hash of the
// steps and image they ran for, and whether they all succeeded. A failed or
// outdated record makes the next enter or run provision again.
type setupRecord struct {
	Hash string `json:"hash"`
	OK   bool   `json:"ok"`
}

// tailLines is how much of a failed step's output the error repeats.
const tailLines = 15

// SetupError reports a failed setup step.
type SetupError struct {
	Step, Steps int
	Cmd         string
	Code        int
	Tail        []string
}

func (e *SetupError) Error() string {
	msg := fmt.Sprintf("setup step %d/%d failed with exit status %d: %s", e.Step, e.Steps, e.Code, e.Cmd)
	if len(e.Tail) > 0 {
		msg += "\nlast lines of its output:\n  " + strings.Join(e.Tail, "\n  ")
	}
	return msg + "\nThe sandbox is marked unprovisioned: the next 'devbox enter' or 'devbox run' runs setup again."
}

// Provision runs the config's setup steps when they have not run in this
// sandbox yet, changed, or failed last time: in order, as root inside, each
// through sh -c, with their output streamed to out under a header naming the
// step. base gives the steps' environment and directory.
func (h *Handle) Provision(opts Options, base proto.Spawn, out io.Writer) error {
	steps := opts.Config.Setup
	if len(steps) == 0 {
		return nil
	}
	path, err := setupRecordPath(h, opts)
	if err != nil {
		return err
	}
	root, err := state.RuntimeRoot()
	if err != nil {
		return err
	}
	unlock, err := state.Lock(filepath.Join(root, opts.Name+".setup.lock"))
	if err != nil {
		return err
	}
	defer unlock()
	hash := config.Hash(map[string]string{"setup": strings.Join(steps, "\n"), "image": opts.Config.Image})
	if rec, err := readSetupRecord(path); err == nil && rec.OK && rec.Hash == hash {
		return nil
	}
	if err := writeSetupRecord(path, setupRecord{Hash: hash}); err != nil {
		return err
	}
	for i, cmd := range steps {
		fmt.Fprintf(out, "devbox: setup [%d/%d]: %s\n", i+1, len(steps), cmd)
		if err := h.runStep(base, cmd, out, i+1, len(steps)); err != nil {
			return err
		}
	}
	return writeSetupRecord(path, setupRecord{Hash: hash, OK: true})
}

// setupRecordPath keeps the record beside the persistent home, or in the
// runtime dir of a throwaway sandbox.
func setupRecordPath(h *Handle, opts Options) (string, error) {
	if opts.Ephemeral {
		return filepath.Join(h.Dir, "setup.json"), nil
	}
	dir, err := state.SandboxData(opts.Name)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create sandbox data dir: %w", err)
	}
	return filepath.Join(dir, "setup.json"), nil
}

func readSetupRecord(path string) (setupRecord, error) {
	var rec setupRecord
	b, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(b, &rec)
	}
	return rec, err
}

func writeSetupRecord(path string, rec setupRecord) error {
	b, _ := json.Marshal(rec)
	return state.WriteFileAtomic(path, b, 0o600)
}

// runStep runs one step with stdin from /dev/null and stdout and stderr on a
// pipe that is copied to out, keeping the last lines for the error.
func (h *Handle) runStep(base proto.Spawn, cmd string, out io.Writer, n, total int) error {
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return err
	}
	defer devnull.Close()
	pr, pw, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("run setup step: %w", err)
	}
	tail := make(chan []string, 1)
	go func() { tail <- copyTail(pr, out) }()
	req := session.WithUser(base, config.UserRoot)
	req.Argv, req.Shell, req.Login, req.TTY = []string{"/bin/sh", "-c", cmd}, false, false, false
	code, err := h.execFiles(req, devnull, pw, pw)
	pw.Close()
	lines := <-tail
	pr.Close()
	if err != nil {
		var exit *ExitError
		if !errors.As(err, &exit) {
			return fmt.Errorf("run setup step %d/%d: %w", n, total, err)
		}
		code = exit.Code
	}
	if code != 0 {
		return &SetupError{Step: n, Steps: total, Cmd: cmd, Code: code, Tail: lines}
	}
	return nil
}

// copyTail copies r to out line by line and returns the last lines.
func copyTail(r io.Reader, out io.Writer) []string {
	var last []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		fmt.Fprintf(out, "  %s\n", sc.Text())
		last = append(last, sc.Text())
		if len(last) > tailLines {
			last = last[1:]
		}
	}
	io.Copy(io.Discard, r) // a line too long for the scanner
	return last
}

// execFiles runs a session without a terminal on the given files.
func (h *Handle) execFiles(req proto.Spawn, stdin, stdout, stderr *os.File) (int, error) {
	c, err := proto.Dial(h.Socket())
	if err != nil {
		return 0, fmt.Errorf("connect to sandbox %s: %w", h.Name, err)
	}
	defer c.Close()
	if err := c.Send(req, int(stdin.Fd()), int(stdout.Fd()), int(stderr.Fd())); err != nil {
		return 0, err
	}
	if err := awaitStarted(c, nil); err != nil {
		return 0, err
	}
	return awaitExit(c)
}
