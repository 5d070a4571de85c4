package review

import (
	"bytes"
	"fmt"
	"io"
	"strings"
)

// op is one line of an edit script: ' ' kept, '-' only in a, '+' only in b.
type op struct {
	kind byte
	a, b int // line indexes in a and b (the side the line is on)
}

// maxEdit bounds the edit distance the diff searches: beyond it the files
// are shown as all of a removed and all of b added (correct, not minimal),
// so a diff of two unrelated large files stays cheap.
const maxEdit = 1000

// editScript returns a shortest edit script from a to b (Myers' greedy
// O((N+M)D) algorithm: furthest-reaching D-paths on each diagonal k,
// kept per D to walk back).
func editScript(a, b []string) []op {
	n, m := len(a), len(b)
	max := n + m
	if max == 0 {
		return nil
	}
	limit := min(max, maxEdit)
	off := limit + 1
	v := make([]int, 2*limit+3)
	var trace [][]int
	for d := 0; d <= limit; d++ {
		trace = append(trace, append([]int(nil), v...))
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1] // down: insert from b
			} else {
				x = v[off+k-1] + 1 // right: delete from a
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x, y = x+1, y+1
			}
			v[off+k] = x
			if x >= n && y >= m {
				return backtrack(trace, off, n, m)
			}
		}
	}
	return wholeReplace(n, m)
}

// backtrack walks the saved furthest points back from (n, m).
func backtrack(trace [][]int, off, n, m int) []op {
	var rev []op
	x, y := n, m
	for d := len(trace) - 1; d >= 0; d-- {
		k := x - y
		prevV := trace[d] // the furthest points after d-1 steps
		var prevK int
		if k == -d || (k != d && prevV[off+k-1] < prevV[off+k+1]) {
			prevK = k + 1
		} else {
			prevK = k - 1
		}
		prevX := prevV[off+prevK]
		prevY := prevX - prevK
		for x > prevX && y > prevY {
			x, y = x-1, y-1
			rev = append(rev, op{' ', x, y})
		}
		if d == 0 {
			break
		}
		if x == prevX {
			y--
			rev = append(rev, op{'+', x, y})
		} else {
			x--
			rev = append(rev, op{'-', x, y})
		}
	}
	out := make([]op, len(rev))
	for i, o := range rev {
		out[len(rev)-1-i] = o
	}
	return out
}

func wholeReplace(n, m int) []op {
	out := make([]op, 0, n+m)
	for i := 0; i < n; i++ {
		out = append(out, op{'-', i, 0})
	}
	for j := 0; j < m; j++ {
		out = append(out, op{'+', n, j})
	}
	return out
}

// splitLines splits text into lines, each keeping its newline; a last
// line without one is marked by noEOL.
func splitLines(text []byte) (lines []string, noEOL bool) {
	if len(text) == 0 {
		return nil, false
	}
	for len(text) > 0 {
		i := bytes.IndexByte(text, '\n')
		if i < 0 {
			lines = append(lines, string(text))
			return lines, true
		}
		lines = append(lines, string(text[:i+1]))
		text = text[i+1:]
	}
	return lines, false
}

// context is the number of unchanged lines around each hunk.
const context = 3

// writeUnified writes the hunks of a unified diff from a to b and returns
// the numbers of added and deleted lines.
func writeUnified(w io.Writer, a, b []byte) (added, deleted int) {
	la, noEOLa := splitLines(a)
	lb, noEOLb := splitLines(b)
	ops := editScript(la, lb)
	for start := 0; start < len(ops); {
		for start < len(ops) && ops[start].kind == ' ' {
			start++
		}
		if start == len(ops) {
			break
		}
		end := hunkEnd(ops, start)
		lo := max(start-context, 0)
		hi := min(end+context, len(ops))
		added, deleted = writeHunk(w, ops[lo:hi], la, lb, noEOLa, noEOLb, added, deleted)
		start = hi
	}
	return added, deleted
}

// hunkEnd returns the end of the change run from start, joining runs
// separated by at most 2*context kept lines.
func hunkEnd(ops []op, start int) int {
	end := start
	for i := start; i < len(ops); {
		if ops[i].kind != ' ' {
			end = i + 1
			i++
			continue
		}
		j := i
		for j < len(ops) && ops[j].kind == ' ' {
			j++
		}
		if j == len(ops) || j-i > 2*context {
			break
		}
		i = j
	}
	return end
}

func writeHunk(w io.Writer, ops []op, la, lb []string, noEOLa, noEOLb bool, added, deleted int) (int, int) {
	aStart, bStart, aLen, bLen := -1, -1, 0, 0
	for _, o := range ops {
		if o.kind != '+' {
			if aStart < 0 {
				aStart = o.a
			}
			aLen++
		}
		if o.kind != '-' {
			if bStart < 0 {
				bStart = o.b
			}
			bLen++
		}
	}
	fmt.Fprintf(w, "@@ -%s +%s @@\n", hunkRange(aStart, aLen, ops[0].a), hunkRange(bStart, bLen, ops[0].b))
	for _, o := range ops {
		var line string
		var last bool
		switch o.kind {
		case '-':
			line, last = la[o.a], o.a == len(la)-1 && noEOLa
			deleted++
		case '+':
			line, last = lb[o.b], o.b == len(lb)-1 && noEOLb
			added++
		default:
			line, last = la[o.a], o.a == len(la)-1 && noEOLa
		}
		fmt.Fprintf(w, "%c%s", o.kind, line)
		if last || !strings.HasSuffix(line, "\n") {
			fmt.Fprint(w, "\n\\ No newline at end of file\n")
		}
	}
	return added, deleted
}

// hunkRange formats a hunk side: 1-based start and length; an empty side
// names the line before it.
func hunkRange(start, n, at int) string {
	if n == 0 {
		return fmt.Sprintf("%d,0", at)
	}
	if n == 1 {
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}
