package userns

import (
	"os"

	"golang.org/x/sys/unix"
)

// AwaitExit returns once process pid has exited, without reaping it: the
// calling goroutine waits in the runtime's poller on a pidfd, which turns
// readable at the exit, rather than in a blocking wait that holds its
// thread and, until the runtime's monitor takes it back, its P. With
// GOMAXPROCS=1, as in the supervisor, that P is every other goroutine's,
// and the monitor, idle for a while, sleeps up to 10 ms: a blocking wait
// on the sandbox's child held back the start of newuidmap by 2-5 ms. A
// Wait after it reaps at once. Where the kernel lacks non-blocking pidfds
// (before 5.10) it returns at once, and that Wait blocks as before.
func AwaitExit(pid int) {
	fd, err := unix.PidfdOpen(pid, unix.PIDFD_NONBLOCK)
	if err != nil {
		return
	}
	AwaitPidfd(fd)
}

// AwaitPidfd is AwaitExit on a non-blocking pidfd the caller opened,
// which it closes.
func AwaitPidfd(fd int) {
	f := os.NewFile(uintptr(fd), "pidfd")
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	rc.Read(func(fd uintptr) bool { return exited(int(fd)) })
}

// exited reports whether the process of pidfd fd has exited (or the poll
// failed, and the caller's Wait is left to tell).
func exited(fd int) bool {
	p := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	n, err := unix.Poll(p, 0)
	return err != nil || n > 0
}
