package config

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/devbox-dev/devbox/cgroupv2"
)

// TestHashStable: the values and their hash are what fmt wrote before
// (%t, %d, %g, %q), so config.json of a sandbox a previous build started
// still matches a join's (its shortcut compares hashes).
func TestHashStable(t *testing.T) {
	swap := int64(-1)
	on := true
	full := Defaults()
	full.AllowHostLoopback, full.ForwardSSHAgent, full.GUI, full.RequireNetwork = true, true, true, true
	full.RequireProc, full.RequireStrict, full.ProtectDefaults, full.GitWrites, full.Cache = true, true, true, true, &on
	full.Limits = Limits{Limits: cgroupv2.Limits{Memory: 1 << 30, MemorySwap: &swap, Pids: 100, CPUs: 1.5, CPUWeight: 50}, Required: true}
	full.Egress = Egress{Allow: []string{"a.example", "*.b"}, Deny: []string{"c"}, AllowLocal: []string{"d:80"}}
	full.Env = map[string]string{"A": "1\"\n\xff"}
	full.IdleTimeout = 90 * time.Second
	for _, c := range []Config{Defaults(), full, {Limits: Limits{Limits: cgroupv2.Limits{CPUs: 1e21}}}} {
		v := c.values()
		for k, want := range map[string]string{
			"allow_host_loopback": fmt.Sprint(c.AllowHostLoopback), "forward_ssh_agent": fmt.Sprint(c.ForwardSSHAgent),
			"gui": fmt.Sprint(c.GUI), "cache": fmt.Sprint(c.CacheOn()), "require_network": fmt.Sprint(c.RequireNetwork),
			"require_proc": fmt.Sprint(c.RequireProc), "require_strict": fmt.Sprint(c.RequireStrict),
			"protect_defaults": fmt.Sprint(c.ProtectDefaults), "git_writes": fmt.Sprint(c.GitWrites),
			"limits": fmtLimits(c.Limits), "egress": fmtEgress(c.Egress),
		} {
			if v[k] != want {
				t.Errorf("%s = %q, want %q", k, v[k], want)
			}
		}
		h := sha256.New()
		for _, k := range slices.Sorted(maps.Keys(v)) {
			fmt.Fprintf(h, "%s=%q\n", k, v[k])
		}
		if got, want := Hash(v), hex.EncodeToString(h.Sum(nil)[:8]); got != want {
			t.Errorf("Hash = %s, want %s", got, want)
		}
	}
}

func fmtLimits(l Limits) string {
	swap := "unset"
	if l.MemorySwap != nil {
		swap = fmt.Sprint(*l.MemorySwap)
	}
	return fmt.Sprintf("memory=%d memory_swap=%s pids=%d cpus=%g cpu_weight=%d required=%t", l.Memory, swap, l.Pids, l.CPUs, l.CPUWeight, l.Required)
}

func fmtEgress(e Egress) string {
	if e.Empty() {
		return ""
	}
	return fmt.Sprintf("allow=%s deny=%s allow_local=%s", strings.Join(e.Allow, ","), strings.Join(e.Deny, ","), strings.Join(e.AllowLocal, ","))
}
