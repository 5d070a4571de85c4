package userns

import (
	"strconv"
	"strings"
)

// MappedEnd reads the text of a /proc/PID/uid_map or gid_map and returns
// one past the highest id it maps inside: the number of ids, for the maps
// devbox writes (0..N-1, contiguous). Malformed lines count for nothing; 0
// means nothing is mapped.
func MappedEnd(text string) uint64 {
	var end uint64
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		start, err1 := strconv.ParseUint(f[0], 10, 32)
		count, err2 := strconv.ParseUint(f[2], 10, 32)
		if err1 == nil && err2 == nil {
			end = max(end, start+count)
		}
	}
	return end
}
