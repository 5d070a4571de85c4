package sandbox

import (
	"fmt"
	"time"

	"github.com/devbox-dev/devbox/cgroupv2"
)

// Stats is one sandbox's resource use, as `devbox stats` shows it.
type Stats struct {
	Name string `json:"name"`
	cgroupv2.Stats
	// CPUPercent is CPU use over the sampling interval, 100 per CPU.
	CPUPercent float64 `json:"cpu_percent"`
}

// StatsTarget is a running sandbox's cgroup, to sample.
type StatsTarget struct {
	Name  string
	group *cgroupv2.Group
}

// StatsTargets resolves the named sandboxes' groups, or, without names,
// those of every running sandbox that has one.
func StatsTargets(names []string) ([]StatsTarget, error) {
	explicit := len(names) > 0
	if !explicit {
		list, err := List()
		if err != nil {
			return nil, err
		}
		for _, s := range list {
			names = append(names, s.Name)
		}
	}
	var out []StatsTarget
	var why error
	for _, n := range names {
		g, err := Cgroup(n)
		if err != nil {
			if explicit {
				return nil, err
			}
			why = err
			continue
		}
		out = append(out, StatsTarget{n, g})
	}
	if len(out) == 0 && why != nil {
		// Running sandboxes, none with a group: say why rather than
		// print an empty table.
		return nil, why
	}
	return out, nil
}

// SampleStats reads every group twice, interval apart, for CPU %. A
// sandbox that stopped meanwhile is left out.
func SampleStats(targets []StatsTarget, interval time.Duration) ([]Stats, error) {
	first := make([]cgroupv2.Stats, len(targets))
	for i, t := range targets {
		first[i], _ = t.group.Stats()
	}
	start := time.Now()
	time.Sleep(interval)
	rows := []Stats{}
	for i, t := range targets {
		s, err := t.group.Stats()
		if err != nil {
			continue
		}
		used := float64(s.CPUUsageUsec - min(first[i].CPUUsageUsec, s.CPUUsageUsec))
		pct := used / float64(time.Since(start).Microseconds()) * 100
		rows = append(rows, Stats{Name: t.Name, Stats: s, CPUPercent: pct})
	}
	return rows, nil
}

// UpdateLimits changes a running sandbox's limits at once and records them
// as the limits in effect, for the join check (see recordLimits).
func UpdateLimits(name string, upd cgroupv2.Limits) error {
	g, err := Cgroup(name)
	if err != nil {
		return err
	}
	if err := g.Set(upd); err != nil {
		return fmt.Errorf("update %s: %w", name, err)
	}
	return recordLimits(name, upd)
}
