package slirpnet

// The lifetime of helper processes (slirp4netns, pasta), host side: ending
// them, and a watcher process that ends them when the supervisor dies,
// even by SIGKILL.

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// KillHelpers ends helper processes by pid, checking each is still a
// network helper (pids are reused).
func KillHelpers(pids []int) {
	for _, pid := range pids {
		if !isHelper(pid) {
			continue
		}
		fd, err := unix.PidfdOpen(pid, 0)
		unix.Kill(pid, unix.SIGKILL)
		if err == nil {
			// Wait (briefly) until it is gone, so a stop leaves nothing.
			unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, 1000)
			unix.Close(fd)
		}
	}
}

// envWatch marks the helper watcher process and lists the pids it guards.
const envWatch = "_DEVBOX_HELPER_WATCH"

// IsWatcher reports whether this process is a helper watcher.
func IsWatcher() bool { return os.Getenv(envWatch) != "" }

// watchHelpers starts a tiny watcher that ends the helpers when the
// supervisor dies, even by SIGKILL: it gets SIGTERM as its parent-death
// signal. pasta daemonizes, so it has no parent-death signal of its own,
// and Debian 12's pasta does not exit when its namespace goes away. The OS
// thread that starts the watcher stays locked, since the parent-death signal
// follows the thread.
func watchHelpers(pids []int) {
	if len(pids) == 0 {
		return
	}
	self, err := os.Executable()
	if err != nil {
		return
	}
	list := make([]string, len(pids))
	for i, p := range pids {
		list[i] = strconv.Itoa(p)
	}
	started := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		cmd := exec.Command(self)
		cmd.Args = []string{"devbox-netwatch"}
		cmd.Env = []string{envWatch + "=" + strings.Join(list, ",")}
		cmd.SysProcAttr = &unix.SysProcAttr{Pdeathsig: unix.SIGTERM}
		err := cmd.Start()
		close(started)
		if err == nil {
			cmd.Wait()
		}
	}()
	<-started
}

// WatchMain runs the watcher: it waits for SIGTERM (its parent died, or the
// supervisor is closing the network) or for every helper to exit.
func WatchMain() int {
	var pids []int
	for _, s := range strings.Split(os.Getenv(envWatch), ",") {
		if p, err := strconv.Atoi(s); err == nil {
			pids = append(pids, p)
		}
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, unix.SIGTERM, unix.SIGINT, unix.SIGHUP)
	gone := make(chan struct{})
	go waitExit(pids, gone)
	select {
	case <-sigs:
		KillHelpers(pids)
	case <-gone:
	}
	return 0
}

// waitExit closes gone when every pid has exited, using pidfds.
func waitExit(pids []int, gone chan struct{}) {
	defer close(gone)
	for _, p := range pids {
		fd, err := unix.PidfdOpen(p, 0)
		if err != nil {
			continue
		}
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		for {
			if _, err := unix.Poll(fds, -1); err != unix.EINTR {
				break
			}
		}
		unix.Close(fd)
	}
}

// isHelper reports whether pid runs a network helper binary; pids are
// reused. The name comes from comm: pasta makes itself non-dumpable, which
// hides /proc/PID/exe, and runs as passt.avx2 on x86-64.
func isHelper(pid int) bool {
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		return false
	}
	return isHelperName(strings.TrimSpace(string(comm)))
}
