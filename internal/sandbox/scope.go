package sandbox

// The systemd user scope fallback, client side. A process in a group that is
// not delegated (an ssh or tty login's root-owned session-N.scope) cannot
// make the sandbox's group: moving a process needs write access to the
// common ancestor's cgroup.procs. When a systemd user manager runs, it can
// hand out a delegated group anyway: the supervisor starts inside a
// transient scope with Delegate=yes (systemd-run --user --scope), as podman
// does rootless. systemd-run --scope creates the scope, moves itself into it
// and execs the command, so the supervisor keeps this process's environment
// and its ready pipe (fd 3, not close-on-exec) and its pid is the one
// started here. When systemd-run fails before the supervisor reports, the
// supervisor starts directly and says why in its not-delegated warning.

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/session"
	"github.com/devbox-dev/devbox/internal/state"
	"github.com/devbox-dev/devbox/internal/trace"
)

// systemdRun is the program that makes the transient scope.
const systemdRun = "systemd-run"

// launchSupervisor spawns the supervisor (devbox-engine for an image
// sandbox), in a delegated user scope when that is what gives the sandbox
// a cgroup, sends it the launch spec that makeSpec makes once the first
// supervisor runs, and waits for its report. A launch session's remote end
// goes with it, and its client keeps the ready pipe.
func launchSupervisor(dir string, image bool, makeSpec func() (proto.Spec, error), warn io.Writer, launch *launchSession) (*exec.Cmd, error) {
	end := trace.Begin("cgroup probe")
	useScope := session.ScopeHelps()
	end()
	var remote *os.File
	if launch != nil {
		remote = launch.remote
		defer launch.sentRemote()
	}
	var spec *proto.Spec
	for {
		cmd, readyR, specW, err := spawnOrTake(dir, image, useScope, remote)
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		if spec == nil {
			spec, err = traceSpec(makeSpec)
		}
		if err == nil {
			err = sendSpec(specW, *spec)
		} else {
			specW.Close()
		}
		if errors.Is(err, errSupervisorGone) {
			err = nil // its report, or the lack of one, says why
		}
		if err != nil {
			readyR.Close()
			cmd.Process.Kill()
			cmd.Wait()
			os.RemoveAll(dir)
			return nil, err
		}
		r := &countingReader{r: readyR}
		end := trace.Begin("await Ready")
		err = awaitReady(r, warn)
		end()
		if err == nil && launch != nil {
			launch.ready = readyR
			return cmd, nil
		}
		readyR.Close()
		if err == nil {
			return cmd, nil
		}
		cmd.Process.Kill()
		cmd.Wait()
		if !useScope || r.n > 0 {
			return nil, err
		}
		// systemd-run failed before the supervisor ran: start it directly.
		useScope = false
		spec.ScopeError = fmt.Sprintf("%s --user --scope failed: %s", systemdRun, lastLogLine(dir))
	}
}

// spawnOrTake is the supervisor started early (prestart.go) for a
// host-view start outside a scope, which has the launch session's remote
// end already, or else one spawnSupervisor starts now.
func spawnOrTake(dir string, image, scope bool, launch *os.File) (*exec.Cmd, *os.File, *os.File, error) {
	if !image && !scope {
		if p := takePrestarted(); p != nil {
			if p.local != nil { // no launch session took its socketpair
				p.local.Close()
			}
			return p.cmd, p.readyR, p.specW, nil
		}
	}
	go CancelPrestart() // not for this start: it exits on its own
	return spawnSupervisor(dir, filepath.Base(dir), image, scope, launch)
}

// traceSpec makes the launch spec under its trace phase.
func traceSpec(makeSpec func() (proto.Spec, error)) (*proto.Spec, error) {
	defer trace.Begin("launch spec")()
	spec, err := makeSpec()
	if err != nil {
		return nil, err
	}
	return &spec, nil
}

// supervisorArgv is the supervisor's command line: its own name and the
// sandbox's for ps, or, in a scope, systemd-run's options and then the
// binary (systemd-run execs it by path, so argv[0] is the path).
func supervisorArgv(self, name string, scope bool) (path string, argv []string) {
	if !scope {
		return self, []string{"devbox-supervisor", name}
	}
	argv = []string{systemdRun, "--user", "--scope", "--quiet", "--collect",
		"-p", "Delegate=yes", "--description=devbox sandbox " + name,
		"--", self, "devbox-supervisor", name}
	return systemdRun, argv
}

// lastLogLine is the last non-empty line of the supervisor log: systemd-run's
// error when it failed.
func lastLogLine(dir string) string {
	b, _ := os.ReadFile(filepath.Join(dir, state.LogFile))
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if last := strings.TrimSpace(lines[len(lines)-1]); last != "" {
		return last
	}
	return "no message"
}

// countingReader counts the bytes read: whether the supervisor said anything.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}
