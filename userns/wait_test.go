package userns

import (
	"os/exec"
	"testing"

	"golang.org/x/sys/unix"
)

// AwaitExit returns for a process that exits later and for one that has
// exited already, and leaves the reaping to Wait.
func TestAwaitExit(t *testing.T) {
	for _, c := range []struct {
		argv       []string
		exitsFirst bool
	}{{[]string{"sleep", "0.05"}, false}, {[]string{"true"}, true}} {
		cmd := exec.Command(c.argv[0], c.argv[1:]...)
		if err := cmd.Start(); err != nil {
			t.Skipf("cannot run %s here: %v", c.argv[0], err)
		}
		fd, err := unix.PidfdOpen(cmd.Process.Pid, 0)
		if err != nil {
			cmd.Wait()
			t.Skipf("no pidfds here: %v", err)
		}
		if c.exitsFirst {
			unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, -1)
		}
		AwaitExit(cmd.Process.Pid)
		if !exited(fd) {
			t.Errorf("%v: AwaitExit returned while the process runs", c.argv)
		}
		unix.Close(fd)
		if err := cmd.Wait(); err != nil {
			t.Errorf("%v: Wait after AwaitExit: %v", c.argv, err)
		}
	}
}
