// Package caps holds capability helpers shared by the processes that cut
// capabilities inside the sandbox: the child (stage two, before init) and
// strict sessions' confining stage. It runs inside the sandbox.
package caps

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

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
