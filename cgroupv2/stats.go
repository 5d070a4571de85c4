package cgroupv2

import (
	"os"
	"strings"
)

// Stats are a group's counters and limits. Files of controllers that are not
// enabled read as zero.
type Stats struct {
	MemoryCurrent uint64 `json:"memory_current"`
	// MemoryPeak is memory.peak (Linux 5.19); 0 when absent.
	MemoryPeak uint64 `json:"memory_peak"`
	// MemoryMax and SwapMax are the limits, Unlimited for max.
	MemoryMax   int64  `json:"memory_max"`
	SwapCurrent uint64 `json:"swap_current"`
	SwapMax     int64  `json:"swap_max"`
	// OOM counts reaching memory.max; OOMKills the processes killed.
	OOM      uint64 `json:"oom"`
	OOMKills uint64 `json:"oom_kills"`

	CPUUsageUsec  uint64 `json:"cpu_usage_usec"`
	CPUUserUsec   uint64 `json:"cpu_user_usec"`
	CPUSystemUsec uint64 `json:"cpu_system_usec"`
	NrPeriods     uint64 `json:"cpu_nr_periods"`
	NrThrottled   uint64 `json:"cpu_nr_throttled"`
	ThrottledUsec uint64 `json:"cpu_throttled_usec"`
	// CPUs is the cpu.max quota in CPUs, 0 for none.
	CPUs      float64 `json:"cpus"`
	CPUWeight uint64  `json:"cpu_weight"`

	PidsCurrent uint64 `json:"pids_current"`
	PidsMax     int64  `json:"pids_max"`
	// PidsRejected counts forks refused at pids.max (pids.events max; the
	// sessions leaf's, where the limit is).
	PidsRejected uint64 `json:"pids_rejected"`
}

// Stats reads the group's statistics.
func (g *Group) Stats() (Stats, error) {
	if _, err := Open(g.Path); err != nil {
		return Stats{}, err
	}
	var s Stats
	s.MemoryCurrent = g.readUint("memory.current")
	s.MemoryPeak = g.readUint("memory.peak")
	s.MemoryMax = g.readMax("memory.max")
	s.SwapCurrent = g.readUint("swap.current")
	s.SwapMax = g.readMax("memory.swap.max")
	ev := ParseKeyed(g.read("memory.events"))
	s.OOM, s.OOMKills = ev["oom"], ev["oom_kill"]
	cpu := ParseKeyed(g.read("cpu.stat"))
	s.CPUUsageUsec, s.CPUUserUsec, s.CPUSystemUsec = cpu["usage_usec"], cpu["user_usec"], cpu["system_usec"]
	s.NrPeriods, s.NrThrottled, s.ThrottledUsec = cpu["nr_periods"], cpu["nr_throttled"], cpu["throttled_usec"]
	s.CPUs, _ = ParseCPUMax(g.read("cpu.max"))
	s.CPUWeight = g.readUint("cpu.weight")
	s.PidsCurrent = g.readUint("pids.current")
	s.PidsMax = g.readMax("pids.max")
	s.PidsRejected = ParseKeyed(g.read("pids.events"))["max"]
	return s, nil
}

// OOMKills returns memory.events' oom_kill count.
func (g *Group) OOMKills() uint64 {
	return ParseKeyed(g.read("memory.events"))["oom_kill"]
}

// MemoryMax returns memory.max, Unlimited for max or when unreadable.
func (g *Group) MemoryMax() int64 { return g.readMax("memory.max") }

func (g *Group) read(name string) []byte {
	b, _ := os.ReadFile(g.fileFor(name))
	return b
}

func (g *Group) readUint(name string) uint64 {
	v, _ := ParseMax(g.read(name))
	if v < 0 {
		return 0
	}
	return uint64(v)
}

func (g *Group) readMax(name string) int64 {
	b := g.read(name)
	if len(strings.TrimSpace(string(b))) == 0 {
		return Unlimited
	}
	v, err := ParseMax(b)
	if err != nil {
		return Unlimited
	}
	return v
}
