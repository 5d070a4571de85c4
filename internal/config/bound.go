package config

import "fmt"

// devbox.toml is bounded before the TOML library sees it: the library's
// time and memory grow with the square of a key's parts (BurntSushi/toml
// issue 496: a 60 KB file of dotted parts held 15 GB), and nested inline
// tables grow alike. A real devbox.toml is a few KB, three levels deep.
const (
	// MaxFileSize is the largest devbox.toml read, in bytes.
	MaxFileSize = 1 << 20
	// MaxDepth is how deep devbox.toml may nest: each part of a dotted key
	// or table header, each array and each inline table is one level, and
	// an array of tables ([[mounts]]) two.
	MaxDepth = 8
	// MaxKeys is how many keys and table headers devbox.toml may hold:
	// the library slows faster than linearly in their number (1 s for a
	// MiB of short keys, 3 s for dotted ones).
	MaxKeys = 4096
	// maxErrors is how many problems one file reports: finding a problem's
	// position decodes the file again.
	maxErrors = 10
)

// shapeScanner walks TOML text tracking only what nests: strings and
// comments are skipped, brackets and braces pushed, and the parts of the key
// being read counted. It is conservative: text that is not valid TOML is
// measured as well as it can be and left to the parser to reject.
type shapeScanner struct {
	data        []byte
	i, line     int
	stack       []byte // '[' array, '{' inline table, 'h' table header
	expectKey   bool   // at a position where a key starts
	keyParts    int    // parts of the key being read, 0 before it starts
	headerParts int    // levels the last table header opened
	header      int    // levels of the header being read
	keys        int    // keys and headers so far
}

// checkBounds refuses data larger than MaxFileSize or nested deeper than
// MaxDepth, naming the line.
func checkBounds(data []byte, name string) error {
	if len(data) > MaxFileSize {
		return tooLarge(name, int64(len(data)))
	}
	s := shapeScanner{data: data, line: 1, expectKey: true}
	depth, ok := s.scan()
	switch {
	case !ok && s.keys > MaxKeys:
		return &Error{File: name, Line: s.line, Col: 1, Msg: fmt.Sprintf("more than %d keys: devbox.toml holds a few settings; check that this is the file you meant", MaxKeys)}
	case !ok:
		return &Error{File: name, Line: s.line, Col: 1, Msg: fmt.Sprintf("nested deeper than %d levels (%d here): devbox.toml needs at most 3; write tables as [table] sections", MaxDepth, depth)}
	}
	return nil
}

func tooLarge(name string, size int64) error {
	return &Error{File: name, Msg: fmt.Sprintf("%.1f MiB, over the limit of 1 MiB: devbox.toml holds a few settings; check that this is the file you meant", float64(size)/(1<<20))}
}

// scan returns false and the depth reached when the text nests too deep.
func (s *shapeScanner) scan() (int, bool) {
	for ; s.i < len(s.data); s.i++ {
		switch c := s.data[s.i]; c {
		case '\n':
			s.newline()
		case ' ', '\t', '\r':
		case '#':
			s.skipComment()
		case '"', '\'':
			s.keyStart()
			s.skipString(c)
		case '.':
			if s.expectKey {
				s.keyParts++
			}
		case '=':
			s.expectKey, s.keyParts = false, 0
		case '[':
			s.open()
		case ']':
			s.closeBracket()
		case '{':
			s.push('{')
			s.expectKey, s.keyParts = true, 0
		case '}':
			s.pop('{')
			s.expectKey = false
		case ',':
			if s.top() == '{' {
				s.expectKey, s.keyParts = true, 0
			}
		default:
			s.keyStart()
		}
		if d := s.depth(); d > MaxDepth || s.keys > MaxKeys {
			return d, false
		}
	}
	return 0, true
}

// depth is the nesting at the current position.
func (s *shapeScanner) depth() int {
	n := s.keyParts
	for _, b := range s.stack {
		if b != 'h' {
			n++
		}
	}
	if s.top() == 'h' {
		return n + s.header
	}
	return n + s.headerParts
}

func (s *shapeScanner) top() byte {
	if len(s.stack) == 0 {
		return 0
	}
	return s.stack[len(s.stack)-1]
}

func (s *shapeScanner) push(b byte) { s.stack = append(s.stack, b) }

func (s *shapeScanner) pop(b byte) {
	if s.top() == b {
		s.stack = s.stack[:len(s.stack)-1]
	}
}

func (s *shapeScanner) keyStart() {
	if s.expectKey && s.keyParts == 0 {
		s.keyParts = 1
		s.keys++
	}
}

func (s *shapeScanner) newline() {
	s.line++
	switch s.top() {
	case 0:
		s.expectKey, s.keyParts = true, 0
	case 'h':
		s.pop('h') // a header does not span lines: invalid, left to the parser
		s.expectKey, s.keyParts = true, 0
	case '{':
		s.expectKey, s.keyParts = true, 0 // TOML 1.1 allows newlines here
	}
}

// open starts a table header at the start of a top-level line, else an
// array value.
func (s *shapeScanner) open() {
	if len(s.stack) == 0 && s.expectKey && s.keyParts == 0 {
		s.push('h')
		s.header = 0
		if s.i+1 < len(s.data) && s.data[s.i+1] == '[' {
			s.i++
			s.header = 1 // an array of tables: the array and its table
		}
		return
	}
	s.push('[')
	s.expectKey = false
}

func (s *shapeScanner) closeBracket() {
	if s.top() != 'h' {
		s.pop('[')
		return
	}
	s.headerParts = s.header + s.keyParts
	s.pop('h')
	if s.header == 1 && s.keyParts > 0 && s.i+1 < len(s.data) && s.data[s.i+1] == ']' {
		s.i++
	}
	s.expectKey, s.keyParts = false, 0
}

func (s *shapeScanner) skipComment() {
	for s.i+1 < len(s.data) && s.data[s.i+1] != '\n' {
		s.i++
	}
}

// skipString moves past a basic ("...", with escapes) or literal ('...')
// string, single- or multi-line, counting the lines it spans.
func (s *shapeScanner) skipString(q byte) {
	multi := s.i+2 < len(s.data) && s.data[s.i+1] == q && s.data[s.i+2] == q
	if multi {
		s.i += 2
	}
	for s.i++; s.i < len(s.data); s.i++ {
		switch c := s.data[s.i]; {
		case c == '\\' && q == '"':
			if s.i+1 < len(s.data) && s.data[s.i+1] == '\n' {
				s.line++
			}
			s.i++
		case c == '\n':
			if !multi {
				s.i--  // unterminated: invalid, left to the parser; the
				return // newline is the caller's
			}
			s.line++
		case c == q && (!multi || (s.i+2 < len(s.data) && s.data[s.i+1] == q && s.data[s.i+2] == q)):
			if multi {
				s.i += 2
				// Up to two more quotes may end the content: """a"""".
				for k := 0; k < 2 && s.i+1 < len(s.data) && s.data[s.i+1] == q; k++ {
					s.i++
				}
			}
			return
		}
	}
}
