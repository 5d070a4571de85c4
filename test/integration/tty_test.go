//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestEnterShowsPromptAndRunsCommands(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := newTmux(t, e, 100, 30, "enter")
	tm.waitFor(promptRE, 15*time.Second)
	tm.roundTrip("ready")
	tm.send("echo tty=$(tty) pid1=$(cat /proc/1/comm)", true)
	tm.waitFor(`(?m)^tty=/dev/pts/\d+ pid1=devbox-init`, 10*time.Second)
	tm.send("exit 6", true)
	tm.waitFor(`(?m)^devbox-exit=6\s*$`, 10*time.Second)
}

func TestCtrlCStopsForegroundJobNotShell(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := newTmux(t, e, 100, 30, "enter")
	tm.waitFor(promptRE, 15*time.Second)
	tm.roundTrip("before")
	tm.send("sleep 100", true)
	waitForInside(t, e, "sleep 100")
	tm.key("C-c")
	waitGoneInside(t, e, "sleep 100")
	tm.roundTrip("alive")

	// Job control: Ctrl-Z stops the foreground job and fg resumes it.
	tm.send("sleep 101", true)
	waitForInside(t, e, "sleep 101")
	tm.key("C-z")
	tm.waitFor(`(?i)stopped`, 10*time.Second)
	tm.roundTrip("after-stop")
	out := e.must("run", "--", "ps", "-e", "-o", "stat=,args=")
	if !regexp.MustCompile(`(?m)^\s*T\S*\s+sleep 101\s*$`).MatchString(out) {
		t.Errorf("after Ctrl-Z, sleep 101 is not stopped:\n%s", out)
	}
	tm.send("fg", true)
	eventually(t, 10*time.Second, func() string {
		out := e.must("run", "--", "ps", "-e", "-o", "stat=,args=")
		if regexp.MustCompile(`(?m)^\s*S\S*\s+sleep 101\s*$`).MatchString(out) {
			return ""
		}
		return "after fg, sleep 101 is not running:\n" + out
	})
	tm.key("C-c")
	waitGoneInside(t, e, "sleep 101")
	tm.roundTrip("alive-again")
}

func TestTerminalSizeFollowsResize(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := newTmux(t, e, 100, 30, "enter")
	tm.waitFor(promptRE, 15*time.Second)
	want := tm.paneSize()
	if want != "30 100" {
		t.Logf("tmux made a %s pane for a 100x30 session", want)
	}
	tm.send("stty size", true)
	tm.waitFor(`(?m)^`+want+`\s*$`, 10*time.Second)

	tm.cmd("resize-window", "-t", "t", "-x", "120", "-y", "40")
	want2 := tm.paneSize()
	if want2 == want {
		t.Fatalf("tmux resize-window did not change the pane size (%s)", want)
	}
	tm.send("clear; stty size", true)
	tm.waitFor(`(?m)^`+want2+`\s*$`, 10*time.Second)
}

func TestEnterWithCommandGetsTerminalSize(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := newTmux(t, e, 90, 25, "enter", "--", "sh", "-c", "stty size; test -t 0 && echo stdin-is-a-tty; exit 4")
	want := tm.paneSize()
	scr := tm.waitFor(`(?m)^devbox-exit=\d+\s*$`, 15*time.Second)
	if !regexp.MustCompile(`(?m)^` + want + `\s*$`).MatchString(scr) {
		t.Errorf("devbox enter -- stty size did not print %q:\n%s", want, scr)
	}
	if !strings.Contains(scr, "stdin-is-a-tty") {
		t.Errorf("stdin of devbox enter -- CMD is not a terminal:\n%s", scr)
	}
	if !regexp.MustCompile(`(?m)^devbox-exit=4\s*$`).MatchString(scr) {
		t.Errorf("devbox enter -- CMD: want exit status 4:\n%s", scr)
	}
}

// devbox enter as an IDE's terminal command: started in a subdirectory
// with VS Code's variables set, the shell starts in that subdirectory and
// sees the variables.
func TestTTY_IDETerminalFromSubdirectory(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sub := filepath.Join(e.project, "src", "pkg")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	cmdline := "cd " + shellQuote([]string{sub}) + " && TERM_PROGRAM=vscode TERM_PROGRAM_VERSION=1.95.0 VSCODE_INJECTION=1 " +
		shellQuote([]string{devboxBin, "enter"}) + `; echo "devbox-exit=$?"`
	tm := startTmux(t, e, 200, 30, cmdline)
	tm.waitFor(promptRE, 15*time.Second)
	tm.roundTrip("ready")
	tm.send(`echo "ide:$(pwd):$TERM_PROGRAM:$TERM_PROGRAM_VERSION:$VSCODE_INJECTION:"`, true)
	want := "ide:" + sub + ":vscode:1.95.0:1:"
	if scr := tm.waitFor(`(?m)^ide:/`, 10*time.Second); !strings.Contains(scr, want) {
		t.Errorf("in the IDE terminal, want %q:\n%s", want, scr)
	}
}
