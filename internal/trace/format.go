package trace

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// node is a span with the spans it contains.
type node struct {
	Span
	kids []*node
}

// tree nests spans by containment: a span is the child of the latest span
// before it that contains it and belongs to the same process or one that
// started it (a supervisor's phase never nests under its child's). Spans
// sort by start, then the longer first, so a parent precedes its children.
func tree(spans []Span) []*node {
	s := append([]Span(nil), spans...)
	sort.SliceStable(s, func(i, j int) bool {
		if s[i].Start != s[j].Start {
			return s[i].Start < s[j].Start
		}
		return s[i].End > s[j].End
	})
	var roots, stack []*node
	for _, sp := range s {
		n := &node{Span: sp}
		for len(stack) > 0 && !canNest(stack[len(stack)-1].Span, sp) {
			stack = stack[:len(stack)-1]
		}
		if len(stack) == 0 {
			roots = append(roots, n)
		} else {
			p := stack[len(stack)-1]
			p.kids = append(p.kids, n)
		}
		stack = append(stack, n)
	}
	return roots
}

// canNest reports whether inner can be shown inside outer.
func canNest(outer, inner Span) bool {
	return inner.Start >= outer.Start && inner.End <= outer.End && rank(outer.Proc) <= rank(inner.Proc)
}

// rank orders the processes by who starts whom: the client starts the
// supervisor, which starts the child, which becomes init.
func rank(proc string) int {
	switch proc {
	case "client":
		return 0
	case "supervisor":
		return 1
	}
	return 2
}

// uncovered is the part of n's time that none of its children covers.
func (n *node) uncovered() int64 {
	covered, end := int64(0), n.Start
	for _, k := range n.kids {
		s := max(k.Start, end)
		if k.End > s {
			covered += k.End - s
			end = k.End
		}
	}
	return n.Duration() - covered
}

// minOther is the smallest unattributed part of a phase that gets a line.
const minOther = 100_000 // 0.1 ms

// Format writes one line per span, nested by containment, with its start
// relative to the earliest span and its duration in milliseconds; a phase
// with sub-phases gets an "(other)" line for the time none of them covers,
// and the last line is the total from the first start to the last end.
func Format(w io.Writer, spans []Span) {
	if len(spans) == 0 {
		return
	}
	roots := tree(spans)
	origin, last := roots[0].Start, int64(0)
	for _, s := range spans {
		last = max(last, s.End)
	}
	fmt.Fprintf(w, "trace: %9s %9s  %s\n", "start", "took", "process: phase")
	for _, r := range roots {
		writeNode(w, r, origin, 0)
	}
	fmt.Fprintf(w, "trace: %9s %9s  total\n", "", ms(last-origin))
}

func writeNode(w io.Writer, n *node, origin int64, depth int) {
	indent := strings.Repeat("  ", depth)
	fmt.Fprintf(w, "trace: %9s %9s  %s%s: %s\n", ms(n.Start-origin), ms(n.Duration()), indent, n.Proc, n.Name)
	for _, k := range n.kids {
		writeNode(w, k, origin, depth+1)
	}
	if len(n.kids) > 0 {
		if u := n.uncovered(); u >= minOther {
			fmt.Fprintf(w, "trace: %9s %9s  %s  (other)\n", "", ms(u), indent)
		}
	}
}

func ms(ns int64) string { return fmt.Sprintf("%.2fms", float64(ns)/1e6) }
