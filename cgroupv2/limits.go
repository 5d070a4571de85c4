package cgroupv2

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Unlimited is the value of a limit set to "max".
const Unlimited int64 = -1

// cpuPeriod is the cpu.max period in microseconds (the kernel's default).
const cpuPeriod = 100000

// Limits are a sandbox's resource limits. A zero field is not set and leaves
// the kernel's value alone; Unlimited writes "max".
type Limits struct {
	// Memory is memory.max in bytes.
	Memory int64 `json:"memory,omitempty"`
	// MemorySwap is memory.swap.max in bytes; nil is not set, since 0 (no
	// swap at all) is a useful value.
	MemorySwap *int64 `json:"memory_swap,omitempty"`
	// Pids is pids.max.
	Pids int64 `json:"pids,omitempty"`
	// CPUs is the cpu.max quota in CPUs: 1.5 writes "150000 100000".
	CPUs float64 `json:"cpus,omitempty"`
	// CPUWeight is cpu.weight, 1 to 10000 (the kernel's default is 100).
	CPUWeight uint64 `json:"cpu_weight,omitempty"`
}

// IsZero reports whether no limit is set.
func (l Limits) IsZero() bool {
	return l.Memory == 0 && l.MemorySwap == nil && l.Pids == 0 && l.CPUs == 0 && l.CPUWeight == 0
}

// setting is one limit as a cgroup file write.
type setting struct {
	Flag       string // the devbox flag that sets it
	Controller string
	File       string
	Value      string
}

// settings lists the file writes for the set limits, in a fixed order.
func (l Limits) settings() []setting {
	var s []setting
	if l.Memory != 0 {
		s = append(s, setting{"--memory", "memory", "memory.max", maxString(l.Memory)})
	}
	if l.MemorySwap != nil {
		s = append(s, setting{"--memory-swap", "memory", "memory.swap.max", maxString(*l.MemorySwap)})
	}
	if l.Pids != 0 {
		s = append(s, setting{"--pids", "pids", "pids.max", maxString(l.Pids)})
	}
	if l.CPUs != 0 {
		s = append(s, setting{"--cpus", "cpu", "cpu.max", cpuMax(l.CPUs)})
	}
	if l.CPUWeight != 0 {
		s = append(s, setting{"--cpu-weight", "cpu", "cpu.weight", strconv.FormatUint(l.CPUWeight, 10)})
	}
	return s
}

// Missing names the set limits (as their flags) whose controller is not in
// controllers: the limits that would not be enforced.
func (l Limits) Missing(controllers []string) []string {
	var miss []string
	for _, s := range l.settings() {
		if !contains(controllers, s.Controller) {
			miss = append(miss, s.Flag)
		}
	}
	return miss
}

// Flags names every set limit as its flag.
func (l Limits) Flags() []string { return l.Missing(nil) }

func maxString(v int64) string {
	if v == Unlimited {
		return "max"
	}
	return strconv.FormatInt(v, 10)
}

func cpuMax(cpus float64) string {
	if cpus < 0 {
		return "max " + strconv.Itoa(cpuPeriod)
	}
	return fmt.Sprintf("%d %d", int64(math.Round(cpus*cpuPeriod)), cpuPeriod)
}

// ParseSize parses a memory size: bytes, or a number with a suffix k, m, g,
// t (powers of 1024, an optional trailing b or ib), or "max". Fractions are
// allowed with a suffix: 1.5g.
func ParseSize(s string) (int64, error) {
	in := strings.ToLower(strings.TrimSpace(s))
	if in == "max" || in == "-1" {
		return Unlimited, nil
	}
	num := strings.TrimSuffix(strings.TrimSuffix(in, "b"), "i")
	mult := int64(1)
	if n := len(num); n > 0 {
		if i := strings.IndexByte("kmgt", num[n-1]); i >= 0 {
			mult = int64(1) << (10 * (i + 1))
			num = num[:n-1]
		}
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || num == "" || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) || v*float64(mult) > math.MaxInt64/2 {
		return 0, fmt.Errorf("invalid size %q: want a number of bytes with an optional suffix k, m, g or t (512m, 2g), or max", s)
	}
	return int64(v * float64(mult)), nil
}

// ParseCount parses a count such as pids.max: a positive number or "max".
func ParseCount(s string) (int64, error) {
	if strings.TrimSpace(s) == "max" {
		return Unlimited, nil
	}
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || v < 1 {
		return 0, fmt.Errorf("invalid count %q: want a number of at least 1, or max", s)
	}
	return v, nil
}

// ParseCPUs parses a number of CPUs (0.5, 1.5, 4), or "max" for no quota.
// The kernel's smallest quota is 1ms per 100ms period: 0.01 CPUs.
func ParseCPUs(s string) (float64, error) {
	if strings.TrimSpace(s) == "max" {
		return -1, nil
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(v) || v < 0.01 || v > 1e6 {
		return 0, fmt.Errorf("invalid number of CPUs %q: want a number of at least 0.01 (1.5 is one and a half CPUs), or max", s)
	}
	return v, nil
}

// ParseCPUWeight parses cpu.weight: 1 to 10000.
func ParseCPUWeight(s string) (uint64, error) {
	v, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
	if err != nil || v < 1 || v > 10000 {
		return 0, fmt.Errorf("invalid CPU weight %q: want 1 to 10000 (the default is 100)", s)
	}
	return v, nil
}

// FormatBytes prints a size for people: "512 MiB", "1.5 GiB", "max".
func FormatBytes(v int64) string {
	if v == Unlimited {
		return "max"
	}
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	f, i := float64(v), 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	if f == math.Trunc(f) {
		return fmt.Sprintf("%d %s", int64(f), units[i])
	}
	return fmt.Sprintf("%.1f %s", f, units[i])
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Supported returns the limits whose controller is in controllers; the rest
// are cleared.
func (l Limits) Supported(controllers []string) Limits {
	if !contains(controllers, "memory") {
		l.Memory, l.MemorySwap = 0, nil
	}
	if !contains(controllers, "pids") {
		l.Pids = 0
	}
	if !contains(controllers, "cpu") {
		l.CPUs, l.CPUWeight = 0, 0
	}
	return l
}

// Merge returns l with the limits set in u replacing its own: the limits a
// group has after `devbox update` wrote u.
func (l Limits) Merge(u Limits) Limits {
	if u.Memory != 0 {
		l.Memory = u.Memory
	}
	if u.MemorySwap != nil {
		v := *u.MemorySwap
		l.MemorySwap = &v
	}
	if u.Pids != 0 {
		l.Pids = u.Pids
	}
	if u.CPUs != 0 {
		l.CPUs = u.CPUs
	}
	if u.CPUWeight != 0 {
		l.CPUWeight = u.CPUWeight
	}
	return l
}
