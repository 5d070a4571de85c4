package storage

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/opencontainers/go-digest"
	"golang.org/x/term"
)

func digestOf(h v1.Hash) digest.Digest { return digest.Digest(h.String()) }

func readUIDMap() string {
	b, _ := os.ReadFile("/proc/self/uid_map")
	return string(b)
}

// progress reports per-layer progress: a redrawn bar per layer on a
// terminal, one line per layer otherwise. A nil *progress is silent.
type progress struct {
	w   io.Writer
	tty bool
	mu  sync.Mutex
}

func newProgress(w *os.File, quiet bool) *progress {
	if quiet {
		return nil
	}
	return &progress{w: w, tty: term.IsTerminal(int(w.Fd()))}
}

func short(d string) string {
	d = strings.TrimPrefix(d, "sha256:")
	if len(d) > 12 {
		return d[:12]
	}
	return d
}

func (p *progress) skip(layer string) {
	if p == nil {
		return
	}
	fmt.Fprintf(p.w, "layer %s: already present\n", short(layer))
}

func (p *progress) note(layer, msg string) {
	if p == nil {
		return
	}
	if p.tty {
		fmt.Fprint(p.w, "\r\033[K")
	}
	fmt.Fprintf(p.w, "layer %s: %s\n", short(layer), msg)
}

// reader wraps r so that reads advance the layer's bar.
func (p *progress) reader(layer string, size int64, r io.Reader) io.Reader {
	if p == nil {
		return r
	}
	if !p.tty {
		if size < 0 {
			fmt.Fprintf(p.w, "layer %s: copying\n", short(layer))
		} else {
			fmt.Fprintf(p.w, "layer %s: copying %s\n", short(layer), human(size))
		}
		return r
	}
	return &barReader{p: p, layer: short(layer), size: size, r: r}
}

func (p *progress) done(layer string, err error) {
	if p == nil {
		return
	}
	if p.tty {
		fmt.Fprint(p.w, "\r\033[K")
	}
	if err == nil {
		fmt.Fprintf(p.w, "layer %s: done\n", short(layer))
	}
}

type barReader struct {
	p     *progress
	layer string
	size  int64
	n     int64
	last  time.Time
	r     io.Reader
}

func (b *barReader) Read(buf []byte) (int, error) {
	n, err := b.r.Read(buf)
	b.n += int64(n)
	if time.Since(b.last) > 100*time.Millisecond || err != nil {
		b.last = time.Now()
		b.p.mu.Lock()
		fmt.Fprintf(b.p.w, "\r\033[Klayer %s %s", b.layer, bar(b.n, b.size, 30))
		b.p.mu.Unlock()
	}
	return n, err
}

// bar renders [=====     ] 12.0 MB / 24.0 MB, or just the count when the
// size is unknown.
func bar(n, size int64, width int) string {
	if size <= 0 {
		return human(n)
	}
	fill := int(min(n, size) * int64(width) / size)
	return "[" + strings.Repeat("=", fill) + strings.Repeat(" ", width-fill) + "] " + human(n) + " / " + human(size)
}

func human(n int64) string {
	switch {
	case n < 0:
		return "?"
	case n < 1<<20:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/1e6)
}
