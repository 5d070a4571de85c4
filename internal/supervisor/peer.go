package supervisor

// Which process in the sandbox opened a proxy connection, for denial
// records. The connection's other end is a socket in the sandbox's
// network namespace: its inode is in init's /proc/PID/net/tcp, and the
// process holding it is one in the sandbox's PID namespace with a
// descriptor on socket:[inode]. The supervisor owns the sandbox's user
// namespace, so it may read those processes' descriptors.

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
)

// peer names the process at the other end of c, or "" when it is gone
// or cannot be found.
func (p *proxy) peer(c net.Conn) string {
	ra, ok := c.RemoteAddr().(*net.TCPAddr)
	if !ok || p.initPID == 0 {
		return ""
	}
	inode := socketInode(p.initPID, ra.Port)
	if inode == "" {
		return ""
	}
	pid := holder(p.initPID, "socket:["+inode+"]")
	if pid == 0 {
		return ""
	}
	comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return fmt.Sprintf("pid %d (%s)", pid, strings.TrimSpace(string(comm)))
}

// socketInode finds the inode of the 127.0.0.1:port socket in the network
// namespace of pid.
func socketInode(pid, port int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/tcp", pid))
	if err != nil {
		return ""
	}
	want := fmt.Sprintf("0100007F:%04X", port)
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) > 9 && f[1] == want {
			return f[9]
		}
	}
	return ""
}

// holder finds a process in init's PID namespace with a descriptor on link.
func holder(initPID int, link string) int {
	ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", initPID))
	if err != nil {
		return 0
	}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == initPID {
			continue
		}
		if n, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid)); n != ns {
			continue
		}
		if hasLink(pid, link) {
			return pid
		}
	}
	return 0
}

func hasLink(pid int, link string) bool {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	fds, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, fd := range fds {
		if l, _ := os.Readlink(dir + "/" + fd.Name()); l == link {
			return true
		}
	}
	return false
}
