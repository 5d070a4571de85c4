package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/devbox-dev/devbox/cgroupv2"
	"github.com/devbox-dev/devbox/internal/sandbox"
	"github.com/spf13/cobra"
)

// statsInterval is the sampling interval for CPU % and --watch.
const statsInterval = time.Second

func newStatsCmd(a *App) *cobra.Command {
	var asJSON, watch bool
	cmd := &cobra.Command{
		Use:   "stats [NAME...]",
		Short: "Show resource use of running sandboxes",
		Long: `Show memory (current, peak, limit), CPU use and throttling, process count and
OOM kills of running sandboxes, read from their cgroup v2 groups. Without NAME,
every running sandbox that has a group.`,
		Example:           "  devbox stats\n  devbox stats --watch myapp-1a2b3c\n  devbox stats --json | jq '.[].memory_current'",
		ValidArgsFunction: completeRunning,
		RunE: func(cmd *cobra.Command, args []string) error {
			names, err := resolveNames(args)
			if err != nil {
				return err
			}
			groups, err := sandbox.StatsTargets(names)
			if err != nil {
				return err
			}
			print := func(rows []sandbox.Stats) error { return printStats(a.Stdout, rows, asJSON) }
			if !watch {
				rows, err := sandbox.SampleStats(groups, statsInterval/2)
				if err != nil {
					return err
				}
				return print(rows)
			}
			for {
				rows, err := sandbox.SampleStats(groups, statsInterval)
				if err != nil {
					return err
				}
				if !asJSON {
					fmt.Fprint(a.Stdout, "\x1b[H\x1b[2J")
				}
				if err := print(rows); err != nil {
					return err
				}
			}
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (with --watch, one array per line)")
	cmd.Flags().BoolVarP(&watch, "watch", "w", false, "refresh every second until interrupted")
	return cmd
}

func printStats(w io.Writer, rows []sandbox.Stats, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(w).Encode(rows)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tMEM USAGE / LIMIT\tMEM PEAK\tCPU %\tCPU TIME\tTHROTTLED\tPIDS\tOOM KILLS")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s / %s\t%s\t%.1f%%\t%s\t%s\t%d / %s\t%d\n", r.Name,
			cgroupv2.FormatBytes(int64(r.MemoryCurrent)), cgroupv2.FormatBytes(r.MemoryMax),
			cgroupv2.FormatBytes(int64(r.MemoryPeak)), r.CPUPercent, usec(r.CPUUsageUsec), usec(r.ThrottledUsec),
			r.PidsCurrent, maxCount(r.PidsMax), r.OOMKills)
	}
	return tw.Flush()
}

func usec(v uint64) string {
	return (time.Duration(v) * time.Microsecond).Round(time.Millisecond).String()
}

func maxCount(v int64) string {
	if v == cgroupv2.Unlimited {
		return "max"
	}
	return fmt.Sprint(v)
}
