package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	"github.com/devbox-dev/devbox/internal/protect"
	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/state"
	"github.com/devbox-dev/devbox/internal/trace"
)

// Info describes a running sandbox for `devbox ps`.
type Info struct {
	Name       string `json:"name"`
	Project    string `json:"project"`
	InitPID    int    `json:"init_pid"`
	Supervisor int    `json:"supervisor_pid"`
	Sessions   int    `json:"sessions"`
	Network    string `json:"network"`
	// NetworkDown says why the network is down ("" while it works), and
	// NetworkRestarts how often its helper was restarted after dying.
	NetworkDown     string    `json:"network_down,omitempty"`
	NetworkRestarts int       `json:"network_restarts,omitempty"`
	Created         time.Time `json:"created"`
	Uptime          string    `json:"uptime"`
	// State is "running" or "stopped" (ListAll); DataSize is the bytes of
	// a stopped sandbox's persistent data.
	State    string `json:"state,omitempty"`
	DataSize int64  `json:"data_size,omitempty"`
	// Review is the driver of the review overlay the sandbox sees its
	// project through ("" for the plain bind): 'devbox diff' shows what
	// it changed.
	Review string `json:"review,omitempty"`
}

// List returns the running sandboxes and removes the state of dead ones,
// retired runtime dirs that no supervisor is deleting, and lock files
// that killed clients left (state.SweepLocks).
func List() ([]Info, error) {
	root, err := state.RuntimeRoot()
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("list sandboxes: %w", err)
	}
	if e, err := needEngine(); err == nil {
		state.SweepRetired(root, e.RemoveTree)
	}
	defer state.SweepLocks(root) // after the dead sandboxes' dirs are gone
	var out []Info
	for _, e := range entries {
		if !e.IsDir() || state.IsRetired(e.Name()) {
			continue
		}
		if info, ok := inspect(root, e.Name()); ok {
			out = append(out, info)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// inspect asks a sandbox's init for its state; a sandbox that does not answer
// and whose supervisor is gone is stale and cleaned up under its lock.
func inspect(root, name string) (Info, bool) {
	dir := filepath.Join(root, name)
	st, err := state.Read(dir)
	c, derr := proto.Dial(filepath.Join(dir, state.SocketFile))
	if derr != nil {
		cleanIfStale(root, name)
		return Info{}, false
	}
	defer c.Close()
	info := Info{Name: name, Project: st.Project, InitPID: st.Init, Supervisor: st.Supervisor, Network: st.Network,
		NetworkDown: st.NetworkDown, NetworkRestarts: st.NetworkRestarts, Created: st.Created, Review: st.Review}
	if err != nil {
		return info, true
	}
	if c.Send(proto.Info{}) == nil {
		if r, err := proto.RecvAs[proto.InfoReply](c); err == nil {
			info.Sessions = r.Sessions
		}
	}
	info.Uptime = time.Since(st.Created).Round(time.Second).String()
	return info, true
}

func cleanIfStale(root, name string) {
	unlock, err := state.Lock(filepath.Join(root, name+".lock"))
	if err != nil {
		return
	}
	defer unlock()
	dir := filepath.Join(root, name)
	if probe(filepath.Join(dir, state.SocketFile)) {
		return
	}
	if st, err := state.Read(dir); err == nil && st.Alive() {
		return // still starting or stopping
	}
	removeStale(dir)
}

// ErrNotRunning is returned for a sandbox that is not running.
var ErrNotRunning = errors.New("sandbox is not running")

// Stop ends a sandbox: init sends SIGTERM to every process and SIGKILL after
// grace. Stop returns when the supervisor says the sandbox has ended (its
// processes gone, its runtime dir renamed aside, which the supervisor
// deletes next), or, from a supervisor that cannot say so, when it has
// exited.
func Stop(name string, grace time.Duration) error {
	root, err := state.RuntimeRoot()
	if err != nil {
		return err
	}
	dir := filepath.Join(root, name)
	st, serr := state.Read(dir)
	w := watchStop(dir)
	defer w.close()
	c, err := proto.Dial(filepath.Join(dir, state.SocketFile))
	if err != nil {
		// A supervisor without a socket is finishing on its own (init has
		// ended); let it clean up, and end it only if it hangs.
		deadline := time.Now().Add(3 * time.Second)
		if !w.wait(3 * time.Second) {
			if serr == nil && st.Alive() && !waitGone(st, time.Until(deadline)) {
				syscall.Kill(st.Supervisor, syscall.SIGKILL)
			}
			cleanIfStale(root, name)
		}
		return fmt.Errorf("stop %s: %w", name, ErrNotRunning)
	}
	err = c.Send(proto.Stop{Grace: grace})
	if err == nil {
		_, err = proto.RecvAs[proto.Stopping](c)
	}
	c.Close()
	if err != nil {
		return fmt.Errorf("stop %s: %w", name, err)
	}
	deadline := time.Now().Add(grace + 5*time.Second)
	if w.wait(grace + 5*time.Second) {
		return nil
	}
	return waitStopped(dir, st, time.Until(deadline))
}

// waitStopped waits for the supervisor to exit and remove the state dir.
func waitStopped(dir string, st state.State, d time.Duration) error {
	deadline := time.Now().Add(d)
	if st.Supervisor > 0 {
		awaitSupervisorExit(st, d) // it removes the dir, then exits
	}
	for time.Now().Before(deadline) {
		if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if st.Supervisor > 0 && !st.Alive() {
			removeStaleCgroup(dir)
			os.RemoveAll(dir)
			return nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	if st.Alive() {
		syscall.Kill(st.Supervisor, syscall.SIGKILL)
		waitGone(st, 2*time.Second)
	}
	os.RemoveAll(dir)
	return nil
}

// Remove deletes a stopped sandbox's persistent data.
func Remove(name string) error {
	root, err := state.RuntimeRoot()
	if err != nil {
		return err
	}
	if probe(filepath.Join(root, name, state.SocketFile)) {
		return fmt.Errorf("remove %s: the sandbox is running; run 'devbox stop %s' first, or 'devbox rm --force %s'", name, name, name)
	}
	dir, err := state.SandboxData(name)
	if err != nil {
		return err
	}
	if _, err := os.Stat(dir); err != nil {
		return fmt.Errorf("remove %s: no such sandbox (see 'devbox ls')", name)
	}
	e, err := needEngine()
	if err != nil {
		return err
	}
	if err := e.RemoveImageLayer(name); err != nil {
		return fmt.Errorf("remove %s: %w", name, err)
	}
	protect.RemoveStubs(dir) // a killed strict sandbox's placeholders
	if err := e.RemoveTree(dir); err != nil {
		return fmt.Errorf("remove %s: %w", name, err)
	}
	return nil
}

// Discard ends a throwaway (--rm) sandbox and removes everything it had
// (its start lock went when it was released, see state.Lock). The sandbox may
// already be gone (idle timeout 0 ends it with its session); then Discard
// waits for the supervisor to finish removing it.
func Discard(name string, grace time.Duration) {
	root, err := state.RuntimeRoot()
	if err != nil {
		return
	}
	dir := filepath.Join(root, name)
	st, serr := state.Read(dir)
	end := trace.Begin("stop")
	err = Stop(name, grace)
	end()
	if _, derr := os.Stat(dir); errors.Is(err, ErrNotRunning) && serr == nil && derr == nil {
		end := trace.Begin("wait for the supervisor's exit")
		waitStopped(dir, st, 5*time.Second)
		end()
	}
}
