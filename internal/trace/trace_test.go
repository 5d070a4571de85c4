package trace

import (
	"strings"
	"testing"
)

const msec = 1_000_000

func TestFormat(t *testing.T) {
	tests := []struct {
		name  string
		spans []Span
		want  string
	}{
		{"empty", nil, ""},
		{
			"processes nest by time, other and total",
			[]Span{
				// out of order on purpose: the client adds the supervisor's
				// spans after its own.
				{"client", "teardown", 30 * msec, 32 * msec},
				{"client", "supervisor spawn", 2 * msec, 20 * msec},
				{"supervisor", "newuidmap", 5 * msec, 7 * msec},
				{"child", "rootfs", 8 * msec, 12 * msec},
				{"supervisor", "handshake", 4 * msec, 19 * msec},
				{"client", "config", 0, 2 * msec},
			},
			`trace:     start      took  process: phase
trace:    0.00ms    2.00ms  client: config
trace:    2.00ms   18.00ms  client: supervisor spawn
trace:    4.00ms   15.00ms    supervisor: handshake
trace:    5.00ms    2.00ms      supervisor: newuidmap
trace:    8.00ms    4.00ms      child: rootfs
trace:              9.00ms      (other)
trace:              3.00ms    (other)
trace:   30.00ms    2.00ms  client: teardown
trace:             32.00ms  total
`,
		},
		{
			"same start: the longer one is the parent; tiny gaps get no line",
			[]Span{
				{"client", "inner", 10 * msec, 11*msec - 50_000},
				{"client", "outer", 10 * msec, 11 * msec},
			},
			`trace:     start      took  process: phase
trace:    0.00ms    1.00ms  client: outer
trace:    0.00ms    0.95ms    client: inner
trace:              1.00ms  total
`,
		},
		{
			"a child's phase contains no phase of its supervisor",
			[]Span{
				{"supervisor", "start child", 0, 10 * msec},
				{"child", "exec", 5 * msec, 20 * msec},
				{"supervisor", "settle", 11 * msec, 12 * msec},
			},
			`trace:     start      took  process: phase
trace:    0.00ms   10.00ms  supervisor: start child
trace:    5.00ms   15.00ms  child: exec
trace:   11.00ms    1.00ms  supervisor: settle
trace:             20.00ms  total
`,
		},
		{
			"overlapping children count once",
			[]Span{
				{"supervisor", "start", 0, 10 * msec},
				{"supervisor", "network", 1 * msec, 6 * msec},
				{"child", "rootfs", 2 * msec, 5 * msec},
				{"child", "init exec", 4 * msec, 8 * msec},
			},
			`trace:     start      took  process: phase
trace:    0.00ms   10.00ms  supervisor: start
trace:    1.00ms    5.00ms    supervisor: network
trace:    2.00ms    3.00ms      child: rootfs
trace:              2.00ms      (other)
trace:    4.00ms    4.00ms    child: init exec
trace:              3.00ms    (other)
trace:             10.00ms  total
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			Format(&b, tt.spans)
			if b.String() != tt.want {
				t.Errorf("Format:\n%s\nwant:\n%s", b.String(), tt.want)
			}
		})
	}
}

func TestParseSchedstat(t *testing.T) {
	tests := []struct {
		in        string
		run, wait int64
		ok        bool
	}{
		{"1234 5678 9\n", 1234, 5678, true},
		{"1 2", 1, 2, true},
		{"", 0, 0, false},
		{"12", 0, 0, false},
		{"a b c", 0, 0, false},
		{"-1 2 3", 0, 0, false},
	}
	for _, tt := range tests {
		run, wait, ok := parseSchedstat(tt.in)
		if run != tt.run || wait != tt.wait || ok != tt.ok {
			t.Errorf("parseSchedstat(%q) = %d, %d, %v; want %d, %d, %v", tt.in, run, wait, ok, tt.run, tt.wait, tt.ok)
		}
	}
}

func TestEnabled(t *testing.T) {
	for v, want := range map[string]bool{"": false, "0": false, "1": true, "yes": true} {
		if got := enabled(v); got != want {
			t.Errorf("enabled(%q) = %v, want %v", v, got, want)
		}
	}
}

// TestOffRecordsNothing: with tracing off, nothing is kept or handed on.
func TestOffRecordsNothing(t *testing.T) {
	saved := on
	defer func() { on = saved }()
	on = false
	Begin("x")()
	Record("y", 1, 2)
	Add([]Span{{"child", "z", 1, 2}})
	if s := Take(); s != nil {
		t.Errorf("Take() with tracing off = %v, want nil", s)
	}
}

func TestOnRecords(t *testing.T) {
	saved := on
	defer func() { on = saved; Take() }()
	on = true
	Take()
	SetProc("supervisor")
	defer SetProc("client")
	Begin("listen")()
	Add([]Span{{"child", "rootfs", 1, 2}})
	s := Take()
	if len(s) != 2 || s[0].Proc != "supervisor" || s[0].Name != "listen" || s[0].End < s[0].Start || s[1].Name != "rootfs" {
		t.Errorf("Take() = %+v", s)
	}
	if Take() != nil {
		t.Error("Take() twice returned spans the first call took")
	}
}

// TestEnableRequests: --trace seen before package init turns recording on
// (hasFlag); Enable, from the parsed flag, must still ask for the print.
func TestEnableRequests(t *testing.T) {
	saved := on
	defer func() { on = saved }()
	t.Setenv(Env, "")
	on = true
	Enable()
	if !Requested() {
		t.Error("Requested() after Enable with recording already on = false")
	}
}
