package slirpnet

import (
	"errors"
	"fmt"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// A helper (slirp4netns or pasta) can die while its sandbox runs: killed,
// out of memory, crashed. The sandbox then has no network and nothing
// says why. The supervisor waits for the helper's exit (WaitHelperExit),
// logs it, and starts it again on the same namespace (Restart). The tap
// device goes with the helper that opened it, so the new one creates it
// again and configures it itself: slirp4netns with --configure (the same
// address, route and MTU the child set from the lease), pasta as it always
// does. The published ports do not go through the helper (the builtin port
// driver), so they keep working.

// helperSet is the live helpers of a Network, their pidfds, and the pipe
// whose closing (Close) ends a wait.
type helperSet struct {
	mu       sync.Mutex
	opts     Options
	childPID int
	pidfds   []int
	stopR    *os.File
	stopW    *os.File
}

// track starts watching pids; it runs once the helpers are up.
func (n *Network) track(opts Options, childPID int) error {
	r, w, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("watch network helper: %w", err)
	}
	n.hs = &helperSet{opts: opts, childPID: childPID, stopR: r, stopW: w}
	for _, pid := range n.Helpers {
		if fd, err := unix.PidfdOpen(pid, 0); err == nil {
			n.hs.pidfds = append(n.hs.pidfds, fd)
		}
	}
	return nil
}

// Driver returns the helper's name.
func (n *Network) Driver() string {
	if n.hs == nil {
		return ""
	}
	return n.hs.opts.Driver.Name()
}

// HelperPIDs returns the current helper pids.
func (n *Network) HelperPIDs() []int {
	if n.hs == nil {
		return n.Helpers
	}
	n.hs.mu.Lock()
	defer n.hs.mu.Unlock()
	return append([]int(nil), n.Helpers...)
}

// WaitHelperExit blocks until a helper exits, and returns its pid; ok is
// false once the network is closed (the sandbox is stopping).
func (n *Network) WaitHelperExit() (pid int, ok bool) {
	if n.hs == nil {
		return 0, false
	}
	n.hs.mu.Lock()
	fds := []unix.PollFd{{Fd: int32(n.hs.stopR.Fd()), Events: unix.POLLIN}}
	for _, fd := range n.hs.pidfds {
		fds = append(fds, unix.PollFd{Fd: int32(fd), Events: unix.POLLIN})
	}
	pids := append([]int(nil), n.Helpers...)
	n.hs.mu.Unlock()
	if len(fds) == 1 {
		return 0, false // no helper could be watched
	}
	for {
		_, err := unix.Poll(fds, -1)
		if err == unix.EINTR {
			continue
		}
		if err != nil || fds[0].Revents != 0 {
			return 0, false
		}
		for i, f := range fds[1:] {
			if f.Revents != 0 && i < len(pids) {
				return pids[i], true
			}
		}
		return 0, false
	}
}

// Restart ends what is left of the helpers and starts the driver again on
// the same namespace. It is called from one goroutine (the supervisor's
// watcher) whose OS thread stays locked: slirp4netns's parent-death signal
// follows that thread.
func (n *Network) Restart() error {
	hs := n.hs
	if hs == nil {
		return errors.New("restart network helper: the network is not user-mode")
	}
	hs.mu.Lock()
	old, cleanup := n.Helpers, n.cleanup
	for _, fd := range hs.pidfds {
		unix.Close(fd)
	}
	hs.pidfds, n.Helpers, n.cleanup = nil, nil, nil
	hs.mu.Unlock()
	if cleanup != nil {
		cleanup() // kills and reaps the slirp4netns this devbox started
	}
	KillHelpers(old)
	cleanup = nil
	var pid int
	var err error
	if hs.opts.Driver == Pasta {
		pid, err = restartPasta(hs.opts, hs.childPID)
	} else {
		pid, cleanup, err = restartSlirp4netns(hs.opts, hs.childPID)
	}
	if err != nil {
		return err
	}
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		if cleanup != nil {
			cleanup()
		}
		KillHelpers([]int{pid})
		return fmt.Errorf("watch restarted %s: %w", hs.opts.Driver, err)
	}
	hs.mu.Lock()
	n.Helpers, hs.pidfds, n.cleanup = []int{pid}, []int{fd}, cleanup
	hs.mu.Unlock()
	return nil
}

// helperCleanup returns the function that ends the slirp4netns this
// process started (nil for pasta, which daemonizes).
func (n *Network) helperCleanup() func() error {
	if n.hs == nil {
		return n.cleanup
	}
	n.hs.mu.Lock()
	defer n.hs.mu.Unlock()
	return n.cleanup
}

func restartPasta(opts Options, childPID int) (int, error) {
	path, err := lookHelper(Pasta)
	if err != nil {
		return 0, err
	}
	_, pid, err := startPasta(opts, path, childPID)
	if err != nil {
		return 0, err
	}
	watchHelpers([]int{pid})
	return pid, nil
}

// restartSlirp4netns starts slirp4netns as AttachFromParent does, and with
// --configure: the tap0 it creates is new, and the child that configured
// the first one from the lease is busy running the sandbox. slirp4netns
// configures its fixed network, which is the lease (slirpLease).
func restartSlirp4netns(opts Options, childPID int) (int, func() error, error) {
	path, err := lookHelper(Slirp4netns)
	if err != nil {
		return 0, nil, err
	}
	f, err := Probe(Slirp4netns.Helper(), path)
	if err != nil {
		return 0, nil, err
	}
	f.Sandbox = f.Sandbox && mountNSWorks(os.Geteuid(), hasSysAdmin())
	args := append([]string{"--configure"}, slirpArgs(opts, f, seccompWorks(), childPID)...)
	pid, cleanup, err := startSlirp4netns(path, args, opts.Log)
	if err != nil {
		return 0, nil, fmt.Errorf("restart slirp4netns: %w", err)
	}
	return pid, cleanup, nil
}

// closeWatch ends WaitHelperExit and releases the pidfds.
func (hs *helperSet) closeWatch() {
	if hs == nil {
		return
	}
	hs.mu.Lock()
	defer hs.mu.Unlock()
	if hs.stopW != nil {
		hs.stopW.Close()
		hs.stopW = nil
	}
}
