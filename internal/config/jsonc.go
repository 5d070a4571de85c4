package config

import "bytes"

// StripJSONC turns JSON with comments (devcontainer.json) into JSON: it
// removes // and /* */ comments and trailing commas before ] and },
// leaving string contents alone. Comments are replaced by spaces so byte
// offsets in decoder errors still match the input.
func StripJSONC(in []byte) []byte {
	out := make([]byte, 0, len(in))
	for i := 0; i < len(in); i++ {
		c := in[i]
		switch {
		case c == '"':
			j := stringEnd(in, i)
			out = append(out, in[i:j]...)
			i = j - 1
		case c == '/' && i+1 < len(in) && in[i+1] == '/':
			for i < len(in) && in[i] != '\n' {
				out = append(out, ' ')
				i++
			}
			i--
		case c == '/' && i+1 < len(in) && in[i+1] == '*':
			end := bytes.Index(in[i+2:], []byte("*/"))
			n := len(in) - i
			if end >= 0 {
				n = end + 4
			}
			for _, b := range in[i : i+n] {
				out = append(out, blankOf(b))
			}
			i += n - 1
		default:
			out = append(out, c)
		}
	}
	return dropTrailingCommas(out)
}

// stringEnd returns the index just past the JSON string starting at i.
func stringEnd(in []byte, i int) int {
	for j := i + 1; j < len(in); j++ {
		switch in[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(in)
}

func blankOf(b byte) byte {
	if b == '\n' {
		return '\n'
	}
	return ' '
}

// dropTrailingCommas blanks a comma followed (after whitespace) by ] or }.
func dropTrailingCommas(b []byte) []byte {
	for i := 0; i < len(b); i++ {
		if b[i] == '"' {
			i = stringEnd(b, i) - 1
			continue
		}
		if b[i] != ',' {
			continue
		}
		j := i + 1
		for j < len(b) && (b[j] == ' ' || b[j] == '\t' || b[j] == '\n' || b[j] == '\r') {
			j++
		}
		if j < len(b) && (b[j] == ']' || b[j] == '}') {
			b[i] = ' '
		}
	}
	return b
}
