// Package asroot runs a named operation as root, with full capabilities,
// inside a fresh user and mount namespace that has the invoking user's full
// subordinate id mapping: the same ids the sandbox sees. The image store
// needs exactly that (storage.Ops, reached through storage.Config.AsRoot),
// and so does removing a tree whose files belong to subordinate ids
// (supervisor.RemoveTree).
//
// Run is called on the host (the client or the supervisor). It re-execs
// devbox; Main is that re-exec's entry point, on the namespace side:
//
//	host: Run ----clone(NEWUSER|NEWNS)----> exec, every capability of the
//	                                        new namespace raised as ambient
//	                                        (kept across the exec), unmapped
//	host: Plan.MapFromParent(pid)  --"m"--> uid 0 with those capabilities:
//	                                        runs the op, writes Result on fd 4
//	host: reads Result, waits
//
// One exec: the helper runs Go's start-up and package init before its ids
// are mapped, and nothing there depends on them.
//
// The op's stderr is the caller's (progress output).
package asroot

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"strconv"

	"github.com/devbox-dev/devbox/hint"
	"github.com/devbox-dev/devbox/internal/caps"
	"github.com/devbox-dev/devbox/internal/preflight"
	"github.com/devbox-dev/devbox/internal/trace"
	"github.com/devbox-dev/devbox/userns"
	"golang.org/x/sys/unix"
)

// Private environment of the re-exec.
const (
	envOp    = "_DEVBOX_UNSHARE"
	envArg   = "_DEVBOX_UNSHARE_ARG"
	envOwner = "_DEVBOX_UNSHARE_OWNER" // pid of the caller
)

// Inherited descriptors in the re-exec.
const (
	fdGo     = 3 // the helper reads one byte once the maps are written
	fdResult = 4 // the helper writes the Result
	// FirstFile is the descriptor of the first of RunFiles' files in the
	// op; the others follow it.
	FirstFile = 5
)

// Op is an operation run inside the namespace. arg is the JSON the caller
// passed; the returned value is sent back as JSON. It is an alias, so
// packages offer their operations without importing this one.
type Op = func(arg json.RawMessage) (any, error)

// Result travels from the namespace back to Run.
type Result struct {
	Value json.RawMessage `json:"value,omitempty"`
	Err   string          `json:"err,omitempty"`
	Hint  string          `json:"hint,omitempty"`
	// Trace is the helper's phases when tracing is on (DEVBOX_TRACE).
	Trace []trace.Span `json:"trace,omitempty"`
}

// IsHelper reports whether this process is an asroot re-exec.
func IsHelper() bool { return os.Getenv(envOp) != "" }

// Run runs op inside a new user and mount namespace with the caller's full
// id mapping and decodes its result into out (may be nil).
func Run(op string, arg any, stderr io.Writer, out any) error {
	return RunFiles(op, arg, stderr, nil, out)
}

// RunFiles is Run with files passed to the op, from descriptor FirstFile
// on.
func RunFiles(op string, arg any, stderr io.Writer, files []*os.File, out any) error {
	blob, err := json.Marshal(arg)
	if err != nil {
		return fmt.Errorf("encode %s arguments: %w", op, err)
	}
	defer trace.Begin("helper " + op)()
	plan, err := planForCaller()
	if err != nil {
		return err
	}
	end := trace.Begin("fork+exec helper")
	cmd, goW, resR, err := start(op, blob, stderr, files)
	end()
	if err != nil {
		return err
	}
	defer resR.Close()
	end = trace.Begin("helper id maps")
	err = mapAndRelease(plan, cmd, goW)
	end()
	if err != nil {
		return err
	}
	res, rerr := readResult(resR)
	end = trace.Begin("wait for the helper's exit")
	werr := cmd.Wait()
	end()
	trace.Add(res.Trace)
	if rerr != nil {
		if werr != nil {
			return fmt.Errorf("run %s in the user namespace: %w", op, werr)
		}
		return fmt.Errorf("run %s in the user namespace: %w", op, rerr)
	}
	if res.Err != "" {
		return hint.Wrap(errors.New(res.Err), res.Hint)
	}
	if out != nil && len(res.Value) > 0 {
		if err := json.Unmarshal(res.Value, out); err != nil {
			return fmt.Errorf("decode %s result: %w", op, err)
		}
	}
	return nil
}

// planForCaller is the id mapping a sandbox of this user gets: the same
// plan, so store files carry the ids the sandbox sees.
func planForCaller() (userns.Plan, error) {
	u, err := user.Current()
	if err != nil {
		return userns.Plan{}, fmt.Errorf("look up current user: %w", err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	return userns.NewPlan(uint32(uid), uint32(gid), u.Username)
}

func start(op string, arg []byte, stderr io.Writer, files []*os.File) (*exec.Cmd, *os.File, *os.File, error) {
	goR, goW, err := os.Pipe()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("create pipe: %w", err)
	}
	resR, resW, err := os.Pipe()
	if err != nil {
		goR.Close()
		goW.Close()
		return nil, nil, nil, fmt.Errorf("create pipe: %w", err)
	}
	defer goR.Close()
	defer resW.Close()
	cmd := exec.Command("/proc/self/exe")
	cmd.Args = []string{"devbox-unshare", op}
	cmd.Env = append(os.Environ(), envOp+"="+op, envArg+"="+string(arg), envOwner+"="+strconv.Itoa(os.Getpid()))
	cmd.Stdout, cmd.Stderr = stderr, stderr
	cmd.ExtraFiles = append([]*os.File{goR, resW}, files...)
	cmd.SysProcAttr = &unix.SysProcAttr{
		Cloneflags: unix.CLONE_NEWUSER | unix.CLONE_NEWNS,
		Pdeathsig:  unix.SIGKILL,
		// The clone has every capability in its new namespace; raised as
		// ambient, they survive the exec of an unmapped process, and uid
		// 0 has them once the maps are written.
		AmbientCaps: caps.All(),
	}
	if err := cmd.Start(); err != nil {
		goW.Close()
		resR.Close()
		if perr := preflight.ProbeUserNS(); perr != nil {
			return nil, nil, nil, perr
		}
		return nil, nil, nil, fmt.Errorf("create user namespace: %w", err)
	}
	return cmd, goW, resR, nil
}

// mapAndRelease writes the id maps and lets the helper go on; on failure the
// re-exec is killed.
func mapAndRelease(plan userns.Plan, cmd *exec.Cmd, goW *os.File) error {
	defer goW.Close()
	if err := plan.MapFromParent(cmd.Process.Pid); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return err
	}
	if _, err := goW.Write([]byte("m")); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return fmt.Errorf("release user namespace helper: %w", err)
	}
	return nil
}

func readResult(r io.Reader) (Result, error) {
	var res Result
	b, err := io.ReadAll(r)
	if err != nil {
		return res, err
	}
	if len(b) == 0 {
		return res, errors.New("the helper exited without a result")
	}
	if err := json.Unmarshal(b, &res); err != nil {
		return res, fmt.Errorf("decode result: %w", err)
	}
	return res, nil
}

// Main is the re-exec's entry point; it returns the exit status.
func Main(ops map[string]Op) int {
	trace.SetProc("helper")
	trace.Started()
	if !awaitMaps() {
		return 125 // the caller failed to map ids and reports it
	}
	return serve(ops)
}

// awaitMaps waits for the caller's byte on fdGo: the id maps are written.
func awaitMaps() bool {
	defer trace.Begin("wait for the id maps")()
	b := make([]byte, 1)
	n, _ := unix.Read(fdGo, b)
	unix.Close(fdGo)
	return n == 1
}

// serve runs the op as root in the namespace.
func serve(ops map[string]Op) int {
	if err := dieWithOwner(); err != nil {
		writeResult(Result{Err: err.Error()})
		return 125
	}
	// A program the op starts must not hold the result pipe: a daemon
	// would keep Run from ever reading its end.
	unix.CloseOnExec(fdResult)
	op := os.Getenv(envOp)
	arg := json.RawMessage(os.Getenv(envArg))
	for _, k := range []string{envOp, envArg, envOwner} {
		os.Unsetenv(k)
	}
	fn, ok := ops[op]
	if !ok {
		writeResult(Result{Err: fmt.Sprintf("unknown user namespace operation %q", op)})
		return 125
	}
	// Mounts made here (overlay probes) must not reach the host.
	if err := unix.Mount("", "/", "", unix.MS_PRIVATE|unix.MS_REC, ""); err != nil {
		writeResult(Result{Err: fmt.Sprintf("make mounts private: %v", err)})
		return 125
	}
	end := trace.Begin("op " + op)
	v, err := fn(arg)
	end()
	if err != nil {
		writeResult(Result{Err: err.Error(), Hint: hint.Of(err)})
		return 125
	}
	b, err := json.Marshal(v)
	if err != nil {
		writeResult(Result{Err: fmt.Sprintf("encode %s result: %v", op, err)})
		return 125
	}
	writeResult(Result{Value: b, Trace: trace.Take()})
	return 0
}

// dieWithOwner makes the caller's death kill this process again: the
// parent-death signal set at clone did not survive the exec (measured with
// the earlier second re-exec: a pull outlived its killed client, holding
// the store lock), and the caller may have died before it was set. If the
// caller already died, the process was reparented: give up.
func dieWithOwner() error {
	if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGKILL), 0, 0, 0); err != nil {
		return fmt.Errorf("set parent-death signal: %w", err)
	}
	if owner := os.Getenv(envOwner); owner != "" && owner != strconv.Itoa(os.Getppid()) {
		return errors.New("the calling devbox exited")
	}
	return nil
}

func writeResult(r Result) {
	f := os.NewFile(fdResult, "result")
	json.NewEncoder(f).Encode(r)
	f.Close()
}

// Merge joins the operations of several packages into the one table a
// binary's Main serves.
func Merge(sets ...map[string]Op) map[string]Op {
	all := map[string]Op{}
	for _, s := range sets {
		for k, v := range s {
			all[k] = v
		}
	}
	return all
}
