package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/devbox-dev/devbox/cgroupv2"
	"github.com/devbox-dev/devbox/internal/sandbox"
)

func TestUsecAndMaxCount(t *testing.T) {
	for in, want := range map[uint64]string{0: "0s", 1499: "1ms", 1500: "2ms", 2_500_000: "2.5s", 61_000_000: "1m1s"} {
		if got := usec(in); got != want {
			t.Errorf("usec(%d) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[int64]string{cgroupv2.Unlimited: "max", 0: "0", 512: "512"} {
		if got := maxCount(in); got != want {
			t.Errorf("maxCount(%d) = %q, want %q", in, got, want)
		}
	}
}

func TestPrintStats(t *testing.T) {
	rows := []sandbox.Stats{{Name: "web", CPUPercent: 12.34, Stats: cgroupv2.Stats{
		MemoryCurrent: 1 << 20, MemoryMax: cgroupv2.Unlimited, PidsCurrent: 3, PidsMax: 100, CPUUsageUsec: 1_500_000, OOMKills: 2,
	}}}
	var table bytes.Buffer
	if err := printStats(&table, rows, false); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(table.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "NAME") {
		t.Fatalf("table = %q", table.String())
	}
	for _, want := range []string{"web", cgroupv2.FormatBytes(1 << 20), "12.3%", "1.5s", "3 / 100"} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("row %q lacks %q", lines[1], want)
		}
	}
	var js bytes.Buffer
	if err := printStats(&js, rows, true); err != nil {
		t.Fatal(err)
	}
	var back []sandbox.Stats
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || len(back) != 1 || back[0].Name != "web" || back[0].OOMKills != 2 {
		t.Errorf("JSON = %s (%v)", js.String(), err)
	}
}

func TestStopTargetsArguments(t *testing.T) {
	_, err := stopTargets([]string{"web"}, true)
	var ue UsageError
	if !errors.As(err, &ue) {
		t.Errorf("NAME and --all: %v, want a usage error", err)
	}
}
