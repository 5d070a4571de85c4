package supervisor

// Supervisor side of a sandbox's end: once init has exited (and with it
// every process in the sandbox), the supervisor unpublishes the ports and
// kills the network helpers, removes the cgroup and the protected-path
// stubs, lets go of a throwaway sandbox's image, renames the runtime dir
// aside, and only then answers the clients waiting on ctl.sock (AwaitStop)
// with Stopped. What takes time without running anything of the sandbox
// comes after the answer: the killed helpers' exits (slirp4netns tears down
// namespaces of its own, 10-40 ms on a loaded machine), the unmounting of
// the sandbox's tree (holdMountNS), deleting a throwaway layer (a helper in
// a user namespace when it holds files of the sandbox's other ids) and
// deleting the renamed dir (slow on a disk mounted with discard).

import (
	"fmt"
	"os"
	"sync"

	"github.com/devbox-dev/devbox/internal/protect"
	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/state"
	"github.com/devbox-dev/devbox/storage/driver"
)

// stopWaiters are the AwaitStop connections still waiting for Stopped.
type stopWaiters struct {
	mu      sync.Mutex
	stopped bool
	waiting []stopWaiter
}

type stopWaiter struct {
	c    *proto.Conn
	done chan struct{} // closed once Stopped is sent
}

// awaitStop answers Stopped once the sandbox has ended. The connection
// stays open until then; a client that gives up closes its end, and the
// answer fails harmlessly.
func (s *supervisor) awaitStop(c *proto.Conn) {
	w := &s.stopWaiters
	w.mu.Lock()
	if w.stopped {
		w.mu.Unlock()
		c.Send(proto.Stopped{})
		return
	}
	done := make(chan struct{})
	w.waiting = append(w.waiting, stopWaiter{c: c, done: done})
	w.mu.Unlock()
	<-done
}

// announceStopped answers every AwaitStop with Stopped before this process
// deletes the retired dir and exits; a launch session's client gets it on
// the ready pipe.
func (s *supervisor) announceStopped() {
	if s.readyKept {
		proto.Encode(s.ready, proto.Stopped{}) // the client may be gone: EPIPE
		s.ready.Close()
		s.readyKept = false
	}
	w := &s.stopWaiters
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped = true
	for _, x := range w.waiting {
		x.c.Send(proto.Stopped{})
		close(x.done)
	}
	w.waiting = nil
}

// cleanup ends what is left of the sandbox and removes its runtime state.
func (s *supervisor) cleanup() {
	s.closeLaunch() // a start that failed before the child had it
	s.stopChild()
	if s.net != nil {
		s.net.Shut() // published ports and helpers end with the sandbox
		defer s.net.Close()
	}
	s.removeCgroup()
	s.freeImage()
	protect.RemoveStubs(s.dir())
	if dir, ok := s.stubsDataDir(); ok {
		protect.RemoveStubs(dir) // the record; the stubs went above
	}
	retired, err := state.Retire(s.dir())
	if err != nil {
		// Deleted under its name, then: the name is free only after.
		fmt.Fprintf(os.Stderr, "devbox-supervisor: %v\n", err)
		os.RemoveAll(s.dir())
		s.announceStopped()
		s.releaseMountNS()
		s.removeImageLayer()
		return
	}
	s.announceStopped()
	s.releaseMountNS()
	s.removeImageLayer()
	if err := retired.Remove(RemoveTree); err != nil {
		fmt.Fprintf(os.Stderr, "devbox-supervisor: remove the runtime dir: %v\n", err)
	}
}

// holdMountNS keeps a reference to the sandbox's mount namespace. Without
// it, init's exit drops the last one, and the kernel unmounts the whole
// tree (and waits for an RCU grace period) before the exit reaches the
// supervisor: 0.3-2 ms of every stop. Held here, that work happens when
// releaseMountNS closes it, after Stopped, and nothing runs in the
// namespace meanwhile. Not for a sandbox whose host paths the teardown
// removes before Stopped while they are mount points in there (a strict
// one's protected-path stubs): removing a mount point of another
// namespace detaches its mounts first, which would move the cost, not
// save it (a throwaway image layer goes after Stopped, once this is
// released: removeImageLayer); nor for one with an overlay that a
// fuse-overlayfs daemon may serve (an image root, a review layer), which
// ends when the sandbox's mount goes and should not outlive Stopped by
// more than it did. Without the reference (open refused), stops are as
// before.
func (s *supervisor) holdMountNS() {
	if s.cmd == nil || s.cmd.Process == nil || s.spec.Review != nil || s.spec.Security == proto.SecurityStrict ||
		(s.spec.Image != nil && s.spec.Image.Driver == driver.Fuse) {
		return
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/ns/mnt", s.cmd.Process.Pid))
	if err == nil {
		s.mountNS = f
	}
}

func (s *supervisor) releaseMountNS() {
	if s.mountNS != nil {
		s.mountNS.Close()
		s.mountNS = nil
	}
}
