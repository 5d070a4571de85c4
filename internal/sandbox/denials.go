package sandbox

import (
	"io"
	"path/filepath"
	"sync"
	"time"

	"github.com/devbox-dev/devbox/internal/state"
)

// DenialsPath is where the denial log of sandbox name is: with its data,
// or in its runtime dir while a --rm sandbox runs.
func DenialsPath(name string) (string, error) {
	root, err := state.RuntimeRoot()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, name)
	st, err := state.Read(dir)
	ephemeral := err == nil && st.Alive() && st.Ephemeral
	return state.DenialsPath(name, ephemeral, dir)
}

// LogPath is the supervisor log of running sandbox name.
func LogPath(name string) (string, error) {
	root, err := state.RuntimeRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, name, state.LogFile), nil
}

// denialFollower prints, one line each, the denials a strict sandbox
// records while a client's session runs: on the client's stderr, never in
// the program's output.
type denialFollower struct {
	path   string
	offset int64
	out    io.Writer
	mu     sync.Mutex
	stop   chan struct{}
	done   chan struct{}
}

// followDenials starts following the log of a strict sandbox h from its
// current end; nil for other sandboxes.
func followDenials(h *Handle, strict bool, out io.Writer) *denialFollower {
	if !strict || out == nil {
		return nil
	}
	path, err := DenialsPath(h.Name)
	if err != nil {
		return nil
	}
	offset := state.DenialsSize(path)
	if h.launch != nil {
		offset = 0 // a new sandbox's log, which its launch session may have written to already
	}
	f := &denialFollower{path: path, offset: offset, out: out, stop: make(chan struct{}), done: make(chan struct{})}
	go f.loop()
	return f
}

// loop polls the log: the proxy writes it in the supervisor, a process
// the client has no channel to while the session runs.
func (f *denialFollower) loop() {
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

func (f *denialFollower) flush() {
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

// finish prints what the session's last moments recorded: the proxy
// writes a record before it answers, so every refusal the program saw is
// in the log by the time the session's exit arrives.
func (f *denialFollower) finish() {
	if f == nil {
		return
	}
	close(f.stop)
	<-f.done
	f.flush()
}
