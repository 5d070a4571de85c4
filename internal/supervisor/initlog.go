package supervisor

// Init's stderr is a pipe to the supervisor, which writes it into the
// sandbox's log: never a host file that code in the sandbox could reach
// (init is not dumpable, so /proc/1/fd/2 is closed to sessions too), and
// with control characters escaped, so a log shown on a terminal cannot
// drive that terminal.

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// maxLogLine is where a long line is split.
const maxLogLine = 4096

// initStderr returns the write end for init's stderr; the read end is copied
// into log until init and everything holding the pipe are gone.
func initStderr(log io.Writer) (*os.File, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("create init log pipe: %w", err)
	}
	go func() {
		copyEscaped(log, r, "init: ")
		r.Close()
	}()
	return w, nil
}

// copyEscaped copies r to w line by line, each with prefix and escaped.
func copyEscaped(w io.Writer, r io.Reader, prefix string) {
	br := bufio.NewReaderSize(r, maxLogLine)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			if line[len(line)-1] == '\n' {
				line = line[:len(line)-1]
			}
			fmt.Fprintf(w, "%s%s\n", prefix, escapeControl(line))
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return
		}
	}
}

// escapeControl spells control characters (C0 but tab, DEL, C1) and bytes
// that are not UTF-8 as Go escapes, and a backslash as two, so the output
// reads back unambiguously.
func escapeControl(b []byte) string {
	out := make([]byte, 0, len(b))
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		switch {
		case r == utf8.RuneError && n == 1:
			out = fmt.Appendf(out, `\x%02x`, b[0])
		case r == '\\':
			out = append(out, `\\`...)
		case r != '\t' && unicode.IsControl(r):
			q := strconv.QuoteRune(r) // '\x1b', '\u0085'
			out = append(out, q[1:len(q)-1]...)
		default:
			out = append(out, b[:n]...)
		}
		b = b[n:]
	}
	return string(out)
}
