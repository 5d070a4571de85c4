package child

// Tracing across stage one's exec: stage one's spans and the moment it
// calls exec travel in stage two's environment, since nothing else survives
// the exec but the fds.

import (
	"encoding/json"
	"os"
	"strconv"

	"github.com/devbox-dev/devbox/internal/trace"
)

const (
	envTraceSpans = "_DEVBOX_TRACE_SPANS" // stage one's spans, JSON
	envTraceExec  = "_DEVBOX_TRACE_EXEC"  // when stage one called exec
)

// traceToStageTwo is the environment that hands stage one's spans on; nil
// when tracing is off.
func traceToStageTwo() []string {
	if !trace.On() {
		return nil
	}
	b, _ := json.Marshal(trace.Take())
	return []string{trace.Env + "=1", envTraceSpans + "=" + string(b), envTraceExec + "=" + strconv.FormatInt(trace.Now(), 10)}
}

// traceStageOne takes stage one's spans back in stage two and records the
// re-exec (exec to Go init) and stage two's package init. Stage two's
// schedstat still counts from the clone, so trace.Started does not apply.
func traceStageOne() {
	if !trace.On() {
		return
	}
	var spans []trace.Span
	if json.Unmarshal([]byte(os.Getenv(envTraceSpans)), &spans) == nil {
		trace.Add(spans)
	}
	if at, err := strconv.ParseInt(os.Getenv(envTraceExec), 10, 64); err == nil && at > 0 {
		trace.Record("re-exec for capabilities (exec to Go init)", at, trace.InitAt())
	}
	trace.Record("package init", trace.InitAt(), trace.Now())
	os.Unsetenv(envTraceSpans)
	os.Unsetenv(envTraceExec)
}
