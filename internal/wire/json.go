package wire

import (
	"strconv"
	"unicode/utf8"
)

// The restricted JSON that the hot messages write and read without
// encoding/json: an object's members in a fixed order, each at most once,
// no whitespace, strings with only the escapes AppendString writes. Its
// bytes are encoding/json's own (internal/proto's tests compare the two,
// field by field and fuzzed), so either side may use either encoder.

// Writer appends an object's members, with the commas between them.
type Writer struct {
	B    []byte
	more bool
}

func (w *Writer) Key(k string) {
	if w.more {
		w.B = append(w.B, ',')
	}
	w.more = true
	w.B = AppendString(w.B, k)
	w.B = append(w.B, ':')
}

// boolField is a bool with omitempty.
func (w *Writer) Bool(k string, v bool) {
	if v {
		w.Key(k)
		w.B = append(w.B, "true"...)
	}
}

// intField is a signed number with omitempty.
func (w *Writer) Int(k string, v int64) {
	if v != 0 {
		w.Key(k)
		w.B = strconv.AppendInt(w.B, v, 10)
	}
}

// uintField is an unsigned number with omitempty.
func (w *Writer) Uint(k string, v uint64) {
	if v != 0 {
		w.Key(k)
		w.B = strconv.AppendUint(w.B, v, 10)
	}
}

func (w *Writer) String(k, v string, omitEmpty bool) {
	if v != "" || !omitEmpty {
		w.Key(k)
		w.B = AppendString(w.B, v)
	}
}

// AppendStrings is a []string: null when nil.
func AppendStrings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendString(b, s)
	}
	return append(b, ']')
}

// AppendInts is a non-nil []int.
func AppendInts(b []byte, ns []int) []byte {
	b = append(b, '[')
	for i, n := range ns {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(n), 10)
	}
	return append(b, ']')
}

const hexDigits = "0123456789abcdef"

// AppendString quotes s as encoding/json does: <, > and & escaped for
// HTML, U+2028 and U+2029 escaped, each byte of invalid UTF-8 replaced by
// U+FFFD.
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			b = appendEscaped(b, c)
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendEscaped is one ASCII byte that JSON (or HTML) needs escaped.
func appendEscaped(b []byte, c byte) []byte {
	switch c {
	case '\\', '"':
		return append(b, '\\', c)
	case '\b':
		return append(b, '\\', 'b')
	case '\f':
		return append(b, '\\', 'f')
	case '\n':
		return append(b, '\\', 'n')
	case '\r':
		return append(b, '\\', 'r')
	case '\t':
		return append(b, '\\', 't')
	}
	return append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
}

// stringsField is a []string with omitempty.
func (w *Writer) Strings(k string, v []string) {
	if len(v) > 0 {
		w.Key(k)
		w.B = AppendStrings(w.B, v)
	}
}

// Reader reads one JSON object of the restricted form; bad is set
// at the first thing outside it.
type Reader struct {
	B   []byte
	I   int
	Bad bool
}

// members reads the object, each member's value by value(index of its key
// in keys); keys must come in that order, each at most once, and the
// object must end the input.
func (r *Reader) Members(keys []string, value func(k int) bool) bool {
	return r.Object(keys, value) && r.I == len(r.B)
}

// object reads an object as members does, where more may follow it; a
// failure also marks the input bad.
func (r *Reader) Object(keys []string, value func(k int) bool) bool {
	if !r.Byte('{') {
		return false
	}
	next := 0
	if r.Peek() == '}' {
		r.I++
		return true
	}
	for {
		k := r.Key(keys, next)
		if k < 0 || !value(k) {
			r.Bad = true
			return false
		}
		next = k + 1
		if r.Peek() == ',' {
			r.I++
			continue
		}
		return r.Byte('}')
	}
}

// key reads `"name":` for one of keys[from:], returning its index or -1.
func (r *Reader) Key(keys []string, from int) int {
	if !r.Byte('"') {
		return -1
	}
	start := r.I
	for r.I < len(r.B) && r.B[r.I] != '"' && r.B[r.I] != '\\' {
		r.I++
	}
	name := string(r.B[start:r.I])
	if !r.Byte('"') || !r.Byte(':') {
		return -1
	}
	for k := from; k < len(keys); k++ {
		if keys[k] == name {
			return k
		}
	}
	return -1
}

func (r *Reader) Peek() byte {
	if r.I < len(r.B) {
		return r.B[r.I]
	}
	return 0
}

// byte consumes c, or marks the input bad.
func (r *Reader) Byte(c byte) bool {
	if r.Peek() != c {
		r.Bad = true
		return false
	}
	r.I++
	return true
}

// literal consumes s if it comes next.
func (r *Reader) Literal(s string) bool {
	if len(r.B)-r.I >= len(s) && string(r.B[r.I:r.I+len(s)]) == s {
		r.I += len(s)
		return true
	}
	return false
}

func (r *Reader) Bool() bool {
	switch {
	case r.Literal("true"):
		return true
	case r.Literal("false"):
		return false
	}
	r.Bad = true
	return false
}

// str reads a string: UTF-8 text, with the escapes \" \\ \/ \b \f \n \r
// \t and \u of a code point outside the surrogates.
func (r *Reader) Str() string {
	if !r.Byte('"') {
		return ""
	}
	var out []byte
	start := r.I
	for r.I < len(r.B) {
		c := r.B[r.I]
		switch {
		case c == '"':
			seg := r.B[start:r.I]
			r.I++
			if !utf8.Valid(seg) {
				r.Bad = true
				return ""
			}
			if out == nil {
				return string(seg)
			}
			return string(append(out, seg...))
		case c < 0x20:
			r.Bad = true
			return ""
		case c == '\\':
			seg := r.B[start:r.I]
			if !utf8.Valid(seg) {
				r.Bad = true
				return ""
			}
			out = append(out, seg...)
			r.I++
			if out = r.escape(out); r.Bad {
				return ""
			}
			start = r.I
		default:
			r.I++
		}
	}
	r.Bad = true
	return ""
}

// escape appends the character of the escape after a backslash.
func (r *Reader) escape(out []byte) []byte {
	c := r.Peek()
	r.I++
	switch c {
	case '"', '\\', '/':
		return append(out, c)
	case 'b':
		return append(out, '\b')
	case 'f':
		return append(out, '\f')
	case 'n':
		return append(out, '\n')
	case 'r':
		return append(out, '\r')
	case 't':
		return append(out, '\t')
	case 'u':
		if len(r.B)-r.I >= 4 {
			if v, err := strconv.ParseUint(string(r.B[r.I:r.I+4]), 16, 16); err == nil && (v < 0xD800 || v > 0xDFFF) {
				r.I += 4
				return utf8.AppendRune(out, rune(v))
			}
		}
	}
	r.Bad = true
	return out
}

// strings reads null (nil) or an array of strings.
func (r *Reader) Strings() []string { return NullableArray(r, r.Str) }

// NullableArray reads null (nil) or an array (non-nil, maybe empty) of
// elements, each by elem.
func NullableArray[T any](r *Reader, elem func() T) []T {
	if r.Literal("null") {
		return nil
	}
	out := []T{}
	r.Array(func() { out = append(out, elem()) })
	return out
}

// array reads [v, v, ...], each v by elem.
func (r *Reader) Array(elem func()) {
	if !r.Byte('[') {
		return
	}
	if r.Peek() == ']' {
		r.I++
		return
	}
	for !r.Bad {
		elem()
		if r.Peek() != ',' {
			r.Byte(']')
			return
		}
		r.I++
	}
}

// digits reads an unsigned decimal as JSON writes it: no leading zero
// but in 0 itself, no fraction or exponent.
func (r *Reader) digits() string {
	start := r.I
	for r.I < len(r.B) && r.B[r.I] >= '0' && r.B[r.I] <= '9' {
		r.I++
	}
	d := string(r.B[start:r.I])
	if d == "" || (len(d) > 1 && d[0] == '0') || r.Peek() == '.' || r.Peek() == 'e' || r.Peek() == 'E' {
		r.Bad = true
	}
	return d
}

// uint reads an unsigned number that fits in bits.
func (r *Reader) Uint(bits int) uint64 {
	v, err := strconv.ParseUint(r.digits(), 10, bits)
	if err != nil {
		r.Bad = true
	}
	return v
}

// int reads a number that fits in an int.
func (r *Reader) Int() int64 { return r.signed(strconv.IntSize) }

// int64 reads a number that fits in an int64.
func (r *Reader) Int64() int64 { return r.signed(64) }

// signed reads a number that fits in bits.
func (r *Reader) signed(bits int) int64 {
	neg := r.Literal("-")
	d := r.digits()
	if neg {
		d = "-" + d
	}
	v, err := strconv.ParseInt(d, 10, bits)
	if err != nil {
		r.Bad = true
	}
	return v
}

// ints reads null (nil) or an array of ints.
func (r *Reader) Ints() []int {
	return NullableArray(r, func() int { return int(r.Int()) })
}

// uintptrs reads null (nil) or an array of uintptrs.
func (r *Reader) Uintptrs() []uintptr {
	return NullableArray(r, func() uintptr { return uintptr(r.Uint(strconv.IntSize)) })
}
