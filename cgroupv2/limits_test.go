package cgroupv2

import (
	"reflect"
	"testing"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  bool
	}{
		{"512m", 512 << 20, false},
		{"512M", 512 << 20, false},
		{"2g", 2 << 30, false},
		{"2GiB", 2 << 30, false},
		{"1.5g", 3 << 29, false},
		{"4096", 4096, false},
		{"64k", 64 << 10, false},
		{"1t", 1 << 40, false},
		{"max", Unlimited, false},
		{"0", 0, false},
		{"", 0, true},
		{"g", 0, true},
		{"-1g", 0, true},
		{"12x", 0, true},
		{"1e30g", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestParseCPUsAndWeight(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want float64
		err  bool
	}{{"1.5", 1.5, false}, {"0.01", 0.01, false}, {"max", -1, false}, {"0", 0, true}, {"abc", 0, true}, {"-2", 0, true}} {
		got, err := ParseCPUs(tt.in)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("ParseCPUs(%q) = %v, %v", tt.in, got, err)
		}
	}
	for _, tt := range []struct {
		in   string
		want uint64
		err  bool
	}{{"100", 100, false}, {"1", 1, false}, {"10000", 10000, false}, {"0", 0, true}, {"10001", 0, true}} {
		got, err := ParseCPUWeight(tt.in)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("ParseCPUWeight(%q) = %v, %v", tt.in, got, err)
		}
	}
	if _, err := ParseCount("0"); err == nil {
		t.Error("ParseCount(0) accepted")
	}
}

func TestSettings(t *testing.T) {
	zero := int64(0)
	l := Limits{Memory: 512 << 20, MemorySwap: &zero, Pids: 100, CPUs: 1.5, CPUWeight: 50}
	want := []setting{
		{"--memory", "memory", "memory.max", "536870912"},
		{"--memory-swap", "memory", "memory.swap.max", "0"},
		{"--pids", "pids", "pids.max", "100"},
		{"--cpus", "cpu", "cpu.max", "150000 100000"},
		{"--cpu-weight", "cpu", "cpu.weight", "50"},
	}
	if got := l.settings(); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
	if got := l.Missing([]string{"memory", "pids"}); !reflect.DeepEqual(got, []string{"--cpus", "--cpu-weight"}) {
		t.Fatalf("Missing: %v", got)
	}
	if got := (Limits{Memory: Unlimited, CPUs: -1}).settings(); got[0].Value != "max" || got[1].Value != "max 100000" {
		t.Fatalf("unlimited: %v", got)
	}
	if !(Limits{}).IsZero() || l.IsZero() {
		t.Fatal("IsZero")
	}
}

func TestFormatBytes(t *testing.T) {
	for in, want := range map[int64]string{512 << 20: "512 MiB", 3 << 29: "1.5 GiB", 100: "100 B", Unlimited: "max", 4 << 30: "4 GiB"} {
		if got := FormatBytes(in); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", in, got, want)
		}
	}
}

func TestLimitsMerge(t *testing.T) {
	zero, one := int64(0), int64(1<<30)
	tests := []struct {
		name      string
		old, upd  Limits
		wantValue Limits
	}{
		{"empty update", Limits{Memory: 64 << 20, Pids: 50}, Limits{}, Limits{Memory: 64 << 20, Pids: 50}},
		{"raise memory, add cpus", Limits{Memory: 64 << 20, Pids: 50}, Limits{Memory: 128 << 20, CPUs: 0.5}, Limits{Memory: 128 << 20, Pids: 50, CPUs: 0.5}},
		{"lift to max", Limits{Pids: 50, CPUs: 1}, Limits{Pids: Unlimited, CPUs: -1}, Limits{Pids: Unlimited, CPUs: -1}},
		{"swap 0 replaces 1g", Limits{MemorySwap: &one}, Limits{MemorySwap: &zero, CPUWeight: 200}, Limits{MemorySwap: &zero, CPUWeight: 200}},
	}
	for _, tt := range tests {
		if got := tt.old.Merge(tt.upd); !reflect.DeepEqual(got, tt.wantValue) {
			t.Errorf("%s: Merge = %+v, want %+v", tt.name, got, tt.wantValue)
		}
	}
}
