// Package trace times a sandbox's start, phase by phase, across devbox's
// processes. It runs in all of them: the client, the supervisor, the child
// and init. Each process records its own spans on CLOCK_MONOTONIC, which is
// one clock for the whole machine, so spans from different processes line
// up; they travel to the client inside the protocol's existing messages
// (the supervisor's Ready on the ready pipe, the child's Ready to the
// supervisor, init's first Started) and the client prints them all when it
// exits.
//
// Tracing is on when DEVBOX_TRACE is set to anything but "" or "0" (the
// client's --trace sets it). When it is off, Begin returns a shared no-op
// and nothing reads the clock, allocates or sends anything.
package trace

import (
	"os"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// Env switches tracing on in every devbox process that inherits it.
const Env = "DEVBOX_TRACE"

// Span is one timed phase of one process. Start and End are CLOCK_MONOTONIC
// nanoseconds.
type Span struct {
	Proc  string `json:"proc"`
	Name  string `json:"name"`
	Start int64  `json:"start"`
	End   int64  `json:"end"`
}

// Duration is the span's length in nanoseconds.
func (s Span) Duration() int64 { return s.End - s.Start }

var (
	on     = enabled(os.Getenv(Env)) || hasFlag(os.Args)
	initAt = initTime()
	mainAt int64

	mu    sync.Mutex
	proc  = "client"
	spans []Span
)

func enabled(v string) bool { return v != "" && v != "0" }

// hasFlag reports whether the client's command line holds --trace before
// "--". Cobra parses the flag much later; seeing it here lets the client
// record its exec and package init too. Requested decides whether the
// spans are printed.
func hasFlag(args []string) bool {
	if len(args) < 2 {
		return false
	}
	for _, a := range args[1:] {
		switch a {
		case "--":
			return false
		case "--trace", "--trace=true", "--trace=1":
			return true
		}
	}
	return false
}

// initTime is when this package was initialised: early in package init,
// since it depends only on the standard library and x/sys.
func initTime() int64 {
	if !on {
		return 0
	}
	return Now()
}

// On reports whether tracing is on (recording) in this process.
func On() bool { return on }

// Requested reports whether the user asked for the trace: DEVBOX_TRACE, or
// --trace, which calls Enable.
func Requested() bool { return enabled(os.Getenv(Env)) }

// MainAt is when Started ran, first thing in main (0 when tracing is off).
func MainAt() int64 { return mainAt }

// Enable turns tracing on here and, through the environment, in the
// processes this one starts (the client's --trace). The environment is set
// even when hasFlag already turned recording on: Requested reads it.
func Enable() {
	on = true
	os.Setenv(Env, "1")
}

// SetProc names this process in the spans it records: "supervisor",
// "child", "init". The client is "client".
func SetProc(name string) {
	mu.Lock()
	proc = name
	mu.Unlock()
}

// Now is CLOCK_MONOTONIC in nanoseconds.
func Now() int64 {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return ts.Nano()
}

// InitAt is when this process's package init reached this package (0 when
// tracing is off).
func InitAt() int64 { return initAt }

func nop() {}

// Begin starts a span and returns the function that ends it.
func Begin(name string) func() {
	if !on {
		return nop
	}
	start := Now()
	return func() { Record(name, start, Now()) }
}

// Record adds a span of this process from start to end.
func Record(name string, start, end int64) {
	if !on {
		return
	}
	mu.Lock()
	spans = append(spans, Span{Proc: proc, Name: name, Start: start, End: end})
	mu.Unlock()
}

// Since records a span from start to now; a start of 0 (from Mark with
// tracing off) records nothing.
func Since(name string, start int64) {
	if on && start != 0 {
		Record(name, start, Now())
	}
}

// Mark is Now when tracing is on and 0 when it is off, for a span whose
// end is in another function (Since).
func Mark() int64 {
	if !on {
		return 0
	}
	return Now()
}

// Add merges spans that another process recorded.
func Add(s []Span) {
	if !on || len(s) == 0 {
		return
	}
	mu.Lock()
	spans = append(spans, s...)
	mu.Unlock()
}

// Take returns the spans recorded so far and forgets them, to send them on
// to the process that prints them. It returns nil when tracing is off.
func Take() []Span {
	if !on {
		return nil
	}
	mu.Lock()
	defer mu.Unlock()
	s := spans
	spans = nil
	return s
}

// Started records this process's exec and package init: exec from the
// moment the process was forked (see ExecStart) to this package's init,
// then package init up to now (the call belongs first thing in main).
func Started() {
	if !on {
		return
	}
	mainAt = Now()
	if fork := ExecStart(); fork > 0 && fork < initAt {
		Record("exec (fork to Go init)", fork, initAt)
	}
	Record("package init", initAt, mainAt)
}

// ExecStart estimates when the main thread was forked, from its schedstat:
// time on a CPU plus time waiting for one, both in nanoseconds, which adds
// up to the thread's whole life as long as it has not slept (true before
// main: the runtime and package init do not block). It returns 0 when
// schedstat cannot be read.
func ExecStart() int64 {
	b, err := os.ReadFile("/proc/thread-self/schedstat")
	if err != nil {
		return 0
	}
	run, wait, ok := parseSchedstat(string(b))
	if !ok {
		return 0
	}
	return Now() - run - wait
}

// parseSchedstat reads "run_ns wait_ns slices" from /proc/*/schedstat.
func parseSchedstat(s string) (run, wait int64, ok bool) {
	f := strings.Fields(s)
	if len(f) < 2 {
		return 0, 0, false
	}
	r, err1 := strconv.ParseInt(f[0], 10, 64)
	w, err2 := strconv.ParseInt(f[1], 10, 64)
	if err1 != nil || err2 != nil || r < 0 || w < 0 {
		return 0, 0, false
	}
	return r, w, true
}
