//go:build integration

package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/devbox-dev/devbox/internal/testutil"
)

// The tmux harness: devbox on a real terminal whose size and keys the
// test controls.

var tmuxSeq atomic.Int64

// tmux drives one detached tmux session on a private server socket, so
// devbox runs on a real terminal whose size the test controls.
type tmux struct {
	t      *testing.T
	socket string
	conf   string
	env    []string
}

// newTmux starts a w x h session running argv (devbox with args) in e's
// project dir, with SHELL=/bin/sh so the prompt is predictable.
func newTmux(t *testing.T, e *env, w, h int, args ...string) *tmux {
	t.Helper()
	// The pane's shell reports devbox's exit status itself: tmux was seen to
	// leave a dead pane's process unreaped (and the pane not marked dead) for
	// seconds, so "Pane is dead" is not a reliable signal.
	return startTmux(t, e, w, h, shellQuote(append([]string{devboxBin}, args...))+`; echo "devbox-exit=$?"`)
}

// startTmux starts a w x h tmux session running the shell command line
// cmdline in e's project dir.
func startTmux(t *testing.T, e *env, w, h int, cmdline string) *tmux {
	t.Helper()
	testutil.RequireBinary(t, "tmux")
	conf := filepath.Join(t.TempDir(), "tmux.conf")
	// No status line (the pane is the whole window); keep the pane after the
	// command exits so its last output can be read.
	if err := os.WriteFile(conf, []byte("set -g status off\nset -g remain-on-exit on\nset -g history-limit 1000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tm := &tmux{
		t:      t,
		socket: fmt.Sprintf("dbx-%d-%d", os.Getpid(), tmuxSeq.Add(1)),
		conf:   conf,
		env:    append(e.environ(), "SHELL=/bin/sh", "TERM=xterm-256color", "ENV="),
	}
	tm.cmd("new-session", "-d", "-s", "t", "-x", fmt.Sprint(w), "-y", fmt.Sprint(h), "-c", e.project, cmdline)
	t.Cleanup(func() {
		exec.Command("tmux", "-L", tm.socket, "kill-server").Run()
	})
	return tm
}

func (tm *tmux) cmd(args ...string) string {
	tm.t.Helper()
	c := exec.Command("tmux", append([]string{"-L", tm.socket, "-f", tm.conf}, args...)...)
	c.Env = tm.env
	out, err := c.CombinedOutput()
	if err != nil {
		tm.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// screen returns the pane with its scrollback: tmux may scroll the first
// lines off a freshly sized pane.
func (tm *tmux) screen() string {
	tm.t.Helper()
	return tm.cmd("capture-pane", "-p", "-S", "-200", "-t", "t")
}

// send types keys; literal text, then Enter when enter is true.
func (tm *tmux) send(text string, enter bool) {
	tm.t.Helper()
	tm.cmd("send-keys", "-t", "t", "-l", text)
	if enter {
		tm.cmd("send-keys", "-t", "t", "Enter")
	}
}

// key sends one named key, such as C-c.
func (tm *tmux) key(k string) {
	tm.t.Helper()
	tm.cmd("send-keys", "-t", "t", k)
}

// waitFor waits until the pane matches re and returns the screen.
func (tm *tmux) waitFor(re string, d time.Duration) string {
	tm.t.Helper()
	rx := regexp.MustCompile(re)
	var scr string
	d = patience(d)
	deadline := time.Now().Add(d)
	for {
		scr = tm.screen()
		if rx.MatchString(scr) {
			return scr
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("after %v the terminal does not match %q:\n%s", d, re, scr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// paneSize returns what tmux says the pane's rows and columns are.
func (tm *tmux) paneSize() string {
	tm.t.Helper()
	return strings.TrimSpace(tm.cmd("display-message", "-p", "-t", "t", "#{pane_height} #{pane_width}"))
}

var marker atomic.Int64

// roundTrip types an echo whose output differs from its input (shell
// arithmetic) and waits for the output, proving the shell reads commands.
func (tm *tmux) roundTrip(label string) string {
	tm.t.Helper()
	n := marker.Add(1) + 1000
	tm.send(fmt.Sprintf("echo %s-$((%d+1))", label, n), true)
	return tm.waitFor(fmt.Sprintf(`(?m)^%s-%d\s*$`, regexp.QuoteMeta(label), n+1), 10*time.Second)
}

const promptRE = `(?m)^.*[#$] ?$`

// shellQuote quotes argv for sh -c.
func shellQuote(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}
