package session

import (
	"io"
	"sync"
	"time"

	"github.com/devbox-dev/devbox/internal/state"
)

// DenialFollower prints, one line each, the denials a strict sandbox
// records while a client's session runs: on the client's stderr, never in
// the program's output.
type DenialFollower struct {
	path   string
	offset int64
	out    io.Writer
	mu     sync.Mutex
	stop   chan struct{}
	done   chan struct{}
}

// FollowDenials starts printing the denials recorded in the log at path
// from offset on, to out.
func FollowDenials(path string, offset int64, out io.Writer) *DenialFollower {
	f := &DenialFollower{path: path, offset: offset, out: out, stop: make(chan struct{}), done: make(chan struct{})}
	go f.loop()
	return f
}

// loop polls the log: the proxy writes it in the supervisor, a process
// the client has no channel to while the session runs.
func (f *DenialFollower) loop() {
	defer close(f.done)
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-f.stop:
			return
		case <-t.C:
			f.flush()
		}
	}
}

func (f *DenialFollower) flush() {
	f.mu.Lock()
	defer f.mu.Unlock()
	list, next, err := state.ReadDenials(f.path, f.offset)
	if err != nil {
		return
	}
	f.offset = next
	for _, d := range list {
		io.WriteString(f.out, d.Line()+"\n")
	}
}

// Finish prints what the session's last moments recorded: the proxy
// writes a record before it answers, so every refusal the program saw is
// in the log by the time the session's exit arrives.
func (f *DenialFollower) Finish() {
	if f == nil {
		return
	}
	close(f.stop)
	<-f.done
	f.flush()
}
