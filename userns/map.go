package userns

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"

	"github.com/devbox-dev/devbox/hint"
	"golang.org/x/sys/unix"
)

// HelperArgs returns the argv for newuidmap/newgidmap:
// [path, pid, inside host count, ...].
func HelperArgs(helper string, pid int, m []Mapping) []string {
	args := []string{helper, strconv.Itoa(pid)}
	for _, x := range m {
		args = append(args,
			strconv.FormatUint(uint64(x.Inside), 10),
			strconv.FormatUint(uint64(x.Host), 10),
			strconv.FormatUint(uint64(x.Count), 10))
	}
	return args
}

// MapFromParent installs the plan on the child pid, which must be in a new
// user namespace whose maps are still unwritten. With Helpers it runs
// newuidmap and newgidmap; otherwise it writes /proc/PID/uid_map,
// /proc/PID/setgroups and /proc/PID/gid_map itself. Errors carry a
// preflight hint where the fix is known.
func (p Plan) MapFromParent(pid int) error { return p.StartMapping(pid)() }

// StartMapping is MapFromParent split in two: it starts newuidmap and
// newgidmap (or writes the files itself, without Helpers) and returns,
// and the returned func waits for the helpers and reports the outcome.
// The caller can start the helpers on the goroutine that has just
// created pid and wait for them on another.
func (p Plan) StartMapping(pid int) (wait func() error) {
	if p.Helpers {
		return startHelpers(HelperArgs(p.NewUIDMap, pid, p.UID), HelperArgs(p.NewGIDMap, pid, p.GID))
	}
	err := p.writeMaps(pid)
	return func() error { return err }
}

// startHelpers starts newuidmap and newgidmap at the same time: each
// writes its own map file and checks only its own ranges, so neither
// waits for the other. wait returns the first failure, in argument order.
func startHelpers(argvs ...[]string) (wait func() error) {
	type run struct {
		cmd    *exec.Cmd
		stderr bytes.Buffer
		err    error
	}
	runs := make([]*run, len(argvs))
	var started sync.WaitGroup
	for i, argv := range argvs {
		r := &run{cmd: exec.Command(argv[0], argv[1:]...)}
		r.cmd.Stderr = &r.stderr
		runs[i] = r
		// Start returns once the helper has exec'd (a setuid exec; its
		// dynamic loading comes after): the first on a goroutine of its
		// own, so that with two Ps the second does not wait for it. With
		// one (the supervisor's) it runs once the second's Start has
		// returned; one after the other took as long (1.000x of a cold
		// start, docs/architecture.md).
		if i == len(argvs)-1 {
			r.err = r.cmd.Start()
			continue
		}
		started.Add(1)
		go func() {
			defer started.Done()
			r.err = r.cmd.Start()
		}()
	}
	started.Wait()
	return func() error {
		var first error
		for i, r := range runs {
			if r.err == nil {
				AwaitExit(r.cmd.Process.Pid)
				r.err = r.cmd.Wait()
			}
			if r.err != nil && first == nil {
				argv := argvs[i]
				msg := strings.TrimSpace(r.stderr.String())
				first = helperHint(argv[0], fmt.Errorf("run %s: %w: %s", strings.Join(argv, " "), r.err, msg), msg)
			}
		}
		return first
	}
}

// helperHint attaches the fix for the helper failures we know by their
// stderr (shadow's messages).
func helperHint(helper string, err error, stderr string) error {
	switch {
	case strings.Contains(stderr, "Operation not permitted") && noNewPrivs():
		// no_new_privs voids the setuid bit (and stops devbox anyway).
		return hint.Wrap(err, "devbox runs with no_new_privs, which voids "+helper+"'s setuid bit and the capabilities devbox gains in the sandbox's user namespace: start devbox without it (a pod's allowPrivilegeEscalation: false, a container's --security-opt no-new-privileges, setpriv --no-new-privs)")
	case strings.Contains(stderr, "Operation not permitted"):
		// The helper ran without privilege: no setuid bit, no file
		// capabilities, or a nosuid mount.
		return hint.Wrap(err, "check that "+helper+" is setuid root: sudo chmod u+s "+helper)
	case strings.Contains(stderr, "not allowed"):
		// The range is not the user's in /etc/subuid or /etc/subgid.
		return hint.Wrap(err, "check your ranges in /etc/subuid and /etc/subgid, then run 'devbox doctor'")
	}
	return err
}

// noNewPrivs reports whether this process runs with no_new_privs: one
// prctl, where reading /proc/self/status, which the kernel formats whole
// for its one line, cost every start a quarter of a millisecond. The flag
// is the calling thread's; a process given it (setpriv, a container
// runtime) has it on every thread.
func noNewPrivs() bool {
	v, err := unix.PrctlRetInt(unix.PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0)
	return err == nil && v == 1
}

// writeMaps writes the maps directly: allowed for root, and for anyone
// mapping only their own id. An unprivileged writer must deny setgroups
// before writing gid_map (user_namespaces(7)); root keeps it, so that
// programs inside can drop supplementary groups.
func (p Plan) writeMaps(pid int) error {
	proc := "/proc/" + strconv.Itoa(pid)
	if err := writeProc(proc+"/uid_map", formatMap(p.UID)); err != nil {
		return err
	}
	if os.Geteuid() != 0 {
		if err := writeProc(proc+"/setgroups", "deny"); err != nil {
			return err
		}
	}
	return writeProc(proc+"/gid_map", formatMap(p.GID))
}

// writeProc writes s in one write(2), as the kernel requires for id maps.
func writeProc(path, s string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	_, err = f.Write([]byte(s))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return writeHint(fmt.Errorf("write %s: %w", path, err))
	}
	return nil
}

func writeHint(err error) error {
	if os.Geteuid() != 0 && errors.Is(err, os.ErrPermission) {
		return hint.Wrap(err, "an unprivileged user can map only their own id: install newuidmap/newgidmap (package uidmap) and add subordinate ids, then run 'devbox doctor'")
	}
	return err
}

func formatMap(m []Mapping) string {
	var b strings.Builder
	for _, x := range m {
		fmt.Fprintf(&b, "%d %d %d\n", x.Inside, x.Host, x.Count)
	}
	return b.String()
}
