package cgroupv2

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ParseProcCgroup returns the cgroup v2 path from /proc/PID/cgroup content:
// the "0::/path" line. A v1-only host has none.
func ParseProcCgroup(data []byte) (string, error) {
	for _, line := range bytes.Split(data, []byte("\n")) {
		p, ok := bytes.CutPrefix(bytes.TrimSpace(line), []byte("0::"))
		if !ok {
			continue
		}
		// A cgroup removed under the process reads "/path (deleted)".
		s := strings.TrimSuffix(string(p), " (deleted)")
		if !strings.HasPrefix(s, "/") {
			return "", fmt.Errorf("parse /proc/self/cgroup: path %q is not absolute", s)
		}
		return s, nil
	}
	return "", errors.New("parse /proc/self/cgroup: no cgroup v2 entry (0::), the host uses cgroup v1 only")
}

// ParseMountinfo returns the mount point of the first cgroup2 file system in
// /proc/self/mountinfo content and the group path it shows (its root field),
// or ok=false. Unified hosts mount it at /sys/fs/cgroup, hybrid hosts at
// /sys/fs/cgroup/unified.
func ParseMountinfo(data []byte) (mountPoint, root string, ok bool) {
	for _, line := range bytes.Split(data, []byte("\n")) {
		// id parent maj:min root mountpoint options [optional...] - fstype source super
		f := strings.Fields(string(line))
		sep := -1
		for i := 6; i < len(f); i++ {
			if f[i] == "-" {
				sep = i
				break
			}
		}
		if sep < 0 || sep+1 >= len(f) || f[sep+1] != "cgroup2" {
			continue
		}
		return unescape(f[4]), unescape(f[3]), true
	}
	return "", "", false
}

// unescape undoes mountinfo's octal escapes (\040 is a space).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// ParseKeyed parses a flat-keyed cgroup file (memory.events, cpu.stat,
// pids.events): "key value" per line. Lines that are not a key and an
// unsigned number are skipped.
func ParseKeyed(data []byte) map[string]uint64 {
	m := map[string]uint64{}
	for _, line := range bytes.Split(data, []byte("\n")) {
		f := strings.Fields(string(line))
		if len(f) != 2 {
			continue
		}
		if v, err := strconv.ParseUint(f[1], 10, 64); err == nil {
			m[f[0]] = v
		}
	}
	return m
}

// ParseMax parses a single-value file that may say "max" (memory.max,
// pids.max): Unlimited for "max".
func ParseMax(data []byte) (int64, error) {
	s := strings.TrimSpace(string(data))
	if s == "max" {
		return Unlimited, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("parse cgroup value %q: want a number or max", s)
	}
	return v, nil
}

// ParseCPUMax parses cpu.max ("quota period" or "max period") into a number
// of CPUs; 0 means no quota.
func ParseCPUMax(data []byte) (float64, error) {
	f := strings.Fields(string(data))
	if len(f) != 2 {
		return 0, fmt.Errorf("parse cpu.max %q: want QUOTA PERIOD", bytes.TrimSpace(data))
	}
	period, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil || period == 0 {
		return 0, fmt.Errorf("parse cpu.max %q: bad period", bytes.TrimSpace(data))
	}
	if f[0] == "max" {
		return 0, nil
	}
	quota, err := strconv.ParseUint(f[0], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parse cpu.max %q: bad quota", bytes.TrimSpace(data))
	}
	return float64(quota) / float64(period), nil
}
