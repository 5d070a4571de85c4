// Package caps holds capability helpers shared by the processes that hand
// on or cut capabilities: the supervisor on the host (the child's ambient
// set), and inside the sandbox the child before init, init's session
// spawner, and strict sessions' confining stage.
package caps

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// All lists every capability this kernel knows, which is the bounding set
// a new user namespace starts with, whatever its creator's.
func All() []uintptr {
	var out []uintptr
	for c := uintptr(0); c < 64; c++ {
		if _, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, c, 0, 0, 0); err != nil {
			break // EINVAL: past the last one
		}
		out = append(out, c)
	}
	return out
}

// Last is the highest capability this kernel knows.
func Last() (uintptr, error) {
	b, err := os.ReadFile("/proc/sys/kernel/cap_last_cap")
	if err != nil {
		return 0, fmt.Errorf("read the last capability: %w", err)
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 8)
	if err != nil {
		return 0, fmt.Errorf("read the last capability: %w", err)
	}
	return uintptr(n), nil
}
