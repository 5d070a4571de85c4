package proto

import (
	"strconv"
	"unicode/utf8"
)

// The hot messages' bodies are also read without encoding/json, in the
// form appendJSON writes them: their keys in field order, each at most
// once, no whitespace, strings with only the escapes appendString
// writes. Anything else (an older devbox's frame, a hand-written one) is
// left to encoding/json (ok false), and whatever this reads, encoding/json
// reads the same (decodejson_test.go fuzzes the two against each other).
// Init reads a Spawn and the spawner a Fork for every session, where
// encoding/json's reflection was a tenth of init's CPU; init reads the
// spawner's Forked and Reaped for each, and a joining client the Exit,
// the one message it decodes: without it, the client's first use of
// encoding/json (learning Exit's fields) cost it about 0.1 ms.

// fastDecoders read a body of their message kind, or report ok false.
var fastDecoders = map[string]func([]byte) (Message, bool){
	"Spawn":  func(b []byte) (Message, bool) { return decodeSpawn(b) },
	"Fork":   func(b []byte) (Message, bool) { return decodeFork(b) },
	"Exit":   func(b []byte) (Message, bool) { return decodeExit(b) },
	"Forked": func(b []byte) (Message, bool) { return decodeForked(b) },
	"Reaped": func(b []byte) (Message, bool) { return decodeReaped(b) },
	// NetReady carries the launch spec (specjson.go).
	"NetReady": func(b []byte) (Message, bool) { return decodeNetReady(b) },
}

// decodeSpawn reads a Spawn body as Spawn.appendJSON writes it.
func decodeSpawn(b []byte) (s Spawn, ok bool) {
	r := objectReader{b: b}
	keys := []string{"argv", "shell", "shell_hint", "login", "env", "cwd", "default_cwd", "tty", "rows", "cols", "relay", "keep_id", "filter_path", "no_started"}
	ok = r.members(keys, func(k int) bool {
		switch keys[k] {
		case "argv":
			s.Argv = r.strings()
		case "shell":
			s.Shell = r.boolean()
		case "shell_hint":
			s.ShellHint = r.str()
		case "login":
			s.Login = r.boolean()
		case "env":
			s.Env = r.strings()
		case "cwd":
			s.Cwd = r.str()
		case "default_cwd":
			s.DefaultCwd = r.str()
		case "tty":
			s.TTY = r.boolean()
		case "rows":
			s.Rows = uint16(r.uint(16))
		case "cols":
			s.Cols = uint16(r.uint(16))
		case "relay":
			s.Relay = r.ints()
		case "keep_id":
			s.KeepID = r.keepID()
		case "filter_path":
			s.FilterPath = r.boolean()
		case "no_started":
			s.NoStarted = r.boolean()
		}
		return !r.bad
	})
	return s, ok
}

// decodeFork reads a Fork body as Fork.appendJSON writes it.
func decodeFork(b []byte) (f Fork, ok bool) {
	r := objectReader{b: b}
	keys := []string{"path", "argv", "env", "dir", "setctty", "ctty", "uid", "gid", "ambient"}
	ok = r.members(keys, func(k int) bool {
		switch keys[k] {
		case "path":
			f.Path = r.str()
		case "argv":
			f.Argv = r.strings()
		case "env":
			f.Env = r.strings()
		case "dir":
			f.Dir = r.str()
		case "setctty":
			f.Setctty = r.boolean()
		case "ctty":
			f.Ctty = int(r.int())
		case "uid":
			f.UID = uint32(r.uint(32))
		case "gid":
			f.GID = uint32(r.uint(32))
		case "ambient":
			f.Ambient = r.uintptrs()
		}
		return !r.bad
	})
	return f, ok
}

// decodeExit reads an Exit body as Exit.appendJSON writes it.
func decodeExit(b []byte) (e Exit, ok bool) {
	r := objectReader{b: b}
	keys := []string{"code", "signal", "oom_killed", "memory_max", "stopped"}
	ok = r.members(keys, func(k int) bool {
		switch keys[k] {
		case "code":
			e.Code = int(r.int())
		case "signal":
			e.Signal = int(r.int())
		case "oom_killed":
			e.OOMKilled = r.boolean()
		case "memory_max":
			e.MemoryMax = r.int64()
		case "stopped":
			e.Stopped = r.boolean()
		}
		return !r.bad
	})
	return e, ok
}

// decodeForked reads a Forked body as Forked.appendJSON writes it.
func decodeForked(b []byte) (f Forked, ok bool) {
	r := objectReader{b: b}
	keys := []string{"pid", "errno", "err"}
	ok = r.members(keys, func(k int) bool {
		switch keys[k] {
		case "pid":
			f.PID = int(r.int())
		case "errno":
			f.Errno = int(r.int())
		case "err":
			f.Err = r.str()
		}
		return !r.bad
	})
	return f, ok
}

// decodeReaped reads a Reaped body as Reaped.appendJSON writes it.
func decodeReaped(b []byte) (p Reaped, ok bool) {
	r := objectReader{b: b}
	keys := []string{"pid", "status"}
	ok = r.members(keys, func(k int) bool {
		switch keys[k] {
		case "pid":
			p.PID = int(r.int())
		case "status":
			p.Status = uint32(r.uint(32))
		}
		return !r.bad
	})
	return p, ok
}

// objectReader reads one JSON object of the restricted form; bad is set
// at the first thing outside it.
type objectReader struct {
	b   []byte
	i   int
	bad bool
}

// members reads the object, each member's value by value(index of its key
// in keys); keys must come in that order, each at most once, and the
// object must end the input.
func (r *objectReader) members(keys []string, value func(k int) bool) bool {
	return r.object(keys, value) && r.i == len(r.b)
}

// object reads an object as members does, where more may follow it; a
// failure also marks the input bad.
func (r *objectReader) object(keys []string, value func(k int) bool) bool {
	if !r.byte('{') {
		return false
	}
	next := 0
	if r.peek() == '}' {
		r.i++
		return true
	}
	for {
		k := r.key(keys, next)
		if k < 0 || !value(k) {
			r.bad = true
			return false
		}
		next = k + 1
		if r.peek() == ',' {
			r.i++
			continue
		}
		return r.byte('}')
	}
}

// key reads `"name":` for one of keys[from:], returning its index or -1.
func (r *objectReader) key(keys []string, from int) int {
	if !r.byte('"') {
		return -1
	}
	start := r.i
	for r.i < len(r.b) && r.b[r.i] != '"' && r.b[r.i] != '\\' {
		r.i++
	}
	name := string(r.b[start:r.i])
	if !r.byte('"') || !r.byte(':') {
		return -1
	}
	for k := from; k < len(keys); k++ {
		if keys[k] == name {
			return k
		}
	}
	return -1
}

func (r *objectReader) peek() byte {
	if r.i < len(r.b) {
		return r.b[r.i]
	}
	return 0
}

// byte consumes c, or marks the input bad.
func (r *objectReader) byte(c byte) bool {
	if r.peek() != c {
		r.bad = true
		return false
	}
	r.i++
	return true
}

// literal consumes s if it comes next.
func (r *objectReader) literal(s string) bool {
	if len(r.b)-r.i >= len(s) && string(r.b[r.i:r.i+len(s)]) == s {
		r.i += len(s)
		return true
	}
	return false
}

func (r *objectReader) boolean() bool {
	switch {
	case r.literal("true"):
		return true
	case r.literal("false"):
		return false
	}
	r.bad = true
	return false
}

// str reads a string: UTF-8 text, with the escapes \" \\ \/ \b \f \n \r
// \t and \u of a code point outside the surrogates.
func (r *objectReader) str() string {
	if !r.byte('"') {
		return ""
	}
	var out []byte
	start := r.i
	for r.i < len(r.b) {
		c := r.b[r.i]
		switch {
		case c == '"':
			seg := r.b[start:r.i]
			r.i++
			if !utf8.Valid(seg) {
				r.bad = true
				return ""
			}
			if out == nil {
				return string(seg)
			}
			return string(append(out, seg...))
		case c < 0x20:
			r.bad = true
			return ""
		case c == '\\':
			seg := r.b[start:r.i]
			if !utf8.Valid(seg) {
				r.bad = true
				return ""
			}
			out = append(out, seg...)
			r.i++
			if out = r.escape(out); r.bad {
				return ""
			}
			start = r.i
		default:
			r.i++
		}
	}
	r.bad = true
	return ""
}

// escape appends the character of the escape after a backslash.
func (r *objectReader) escape(out []byte) []byte {
	c := r.peek()
	r.i++
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
		if len(r.b)-r.i >= 4 {
			if v, err := strconv.ParseUint(string(r.b[r.i:r.i+4]), 16, 16); err == nil && (v < 0xD800 || v > 0xDFFF) {
				r.i += 4
				return utf8.AppendRune(out, rune(v))
			}
		}
	}
	r.bad = true
	return out
}

// strings reads null (nil) or an array of strings.
func (r *objectReader) strings() []string { return nullableArray(r, r.str) }

// nullableArray reads null (nil) or an array (non-nil, maybe empty) of
// elements, each by elem.
func nullableArray[T any](r *objectReader, elem func() T) []T {
	if r.literal("null") {
		return nil
	}
	out := []T{}
	r.array(func() { out = append(out, elem()) })
	return out
}

// array reads [v, v, ...], each v by elem.
func (r *objectReader) array(elem func()) {
	if !r.byte('[') {
		return
	}
	if r.peek() == ']' {
		r.i++
		return
	}
	for !r.bad {
		elem()
		if r.peek() != ',' {
			r.byte(']')
			return
		}
		r.i++
	}
}

// digits reads an unsigned decimal as JSON writes it: no leading zero
// but in 0 itself, no fraction or exponent.
func (r *objectReader) digits() string {
	start := r.i
	for r.i < len(r.b) && r.b[r.i] >= '0' && r.b[r.i] <= '9' {
		r.i++
	}
	d := string(r.b[start:r.i])
	if d == "" || (len(d) > 1 && d[0] == '0') || r.peek() == '.' || r.peek() == 'e' || r.peek() == 'E' {
		r.bad = true
	}
	return d
}

// uint reads an unsigned number that fits in bits.
func (r *objectReader) uint(bits int) uint64 {
	v, err := strconv.ParseUint(r.digits(), 10, bits)
	if err != nil {
		r.bad = true
	}
	return v
}

// int reads a number that fits in an int.
func (r *objectReader) int() int64 { return r.signed(strconv.IntSize) }

// int64 reads a number that fits in an int64.
func (r *objectReader) int64() int64 { return r.signed(64) }

// signed reads a number that fits in bits.
func (r *objectReader) signed(bits int) int64 {
	neg := r.literal("-")
	d := r.digits()
	if neg {
		d = "-" + d
	}
	v, err := strconv.ParseInt(d, 10, bits)
	if err != nil {
		r.bad = true
	}
	return v
}

// ints reads null (nil) or an array of ints.
func (r *objectReader) ints() []int {
	return nullableArray(r, func() int { return int(r.int()) })
}

// uintptrs reads null (nil) or an array of uintptrs.
func (r *objectReader) uintptrs() []uintptr {
	return nullableArray(r, func() uintptr { return uintptr(r.uint(strconv.IntSize)) })
}

// keepID reads null (nil) or {"uid":N,"gid":N}.
func (r *objectReader) keepID() *KeepID {
	if r.literal("null") {
		return nil
	}
	k := &KeepID{}
	if !r.literal(`{"uid":`) {
		r.bad = true
		return nil
	}
	k.UID = uint32(r.uint(32))
	if !r.literal(`,"gid":`) {
		r.bad = true
		return nil
	}
	k.GID = uint32(r.uint(32))
	r.byte('}')
	return k
}
