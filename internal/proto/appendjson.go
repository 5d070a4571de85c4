package proto

import (
	"strconv"
	"unicode/utf8"
)

// The hot messages write their own JSON: encoding/json learns a struct's
// fields by reflection the first time it meets the type, 0.15-0.25 ms for
// Spawn in a client, which marshals one Spawn in its life and waits for
// it. The bytes are encoding/json's own (appendjson_test.go compares them,
// field by field and fuzzed), so either side may use either encoder.

// jsonAppender is a message that appends its JSON body to b.
type jsonAppender interface {
	appendJSON(b []byte) []byte
}

// jsonMaybeAppender is a message that appends its JSON body to b where it
// can, and reports ok false where it leaves the body to encoding/json.
type jsonMaybeAppender interface {
	appendJSONIf(b []byte) (out []byte, ok bool)
}

// appendJSON is Spawn's body as encoding/json writes it.
func (s Spawn) appendJSON(b []byte) []byte {
	w := objectWriter{b: append(b, '{')}
	if len(s.Argv) > 0 {
		w.key("argv")
		w.b = appendStrings(w.b, s.Argv)
	}
	w.boolField("shell", s.Shell)
	w.stringField("shell_hint", s.ShellHint, true)
	w.boolField("login", s.Login)
	w.key("env")
	w.b = appendStrings(w.b, s.Env)
	w.stringField("cwd", s.Cwd, false)
	w.stringField("default_cwd", s.DefaultCwd, true)
	w.boolField("tty", s.TTY)
	w.uintField("rows", uint64(s.Rows))
	w.uintField("cols", uint64(s.Cols))
	if len(s.Relay) > 0 {
		w.key("relay")
		w.b = appendInts(w.b, s.Relay)
	}
	if s.KeepID != nil {
		w.key("keep_id")
		k := objectWriter{b: append(w.b, '{')}
		k.key("uid")
		k.b = strconv.AppendUint(k.b, uint64(s.KeepID.UID), 10)
		k.key("gid")
		k.b = strconv.AppendUint(k.b, uint64(s.KeepID.GID), 10)
		w.b = append(k.b, '}')
	}
	w.boolField("filter_path", s.FilterPath)
	w.boolField("no_started", s.NoStarted)
	return append(w.b, '}')
}

// appendJSON is Fork's body as encoding/json writes it: init sends one
// for every session the spawner starts.
func (f Fork) appendJSON(b []byte) []byte {
	w := objectWriter{b: append(b, '{')}
	w.stringField("path", f.Path, false)
	w.key("argv")
	w.b = appendStrings(w.b, f.Argv)
	w.key("env")
	w.b = appendStrings(w.b, f.Env)
	w.stringField("dir", f.Dir, false)
	w.boolField("setctty", f.Setctty)
	if f.Ctty != 0 {
		w.key("ctty")
		w.b = strconv.AppendInt(w.b, int64(f.Ctty), 10)
	}
	w.key("uid")
	w.b = strconv.AppendUint(w.b, uint64(f.UID), 10)
	w.key("gid")
	w.b = strconv.AppendUint(w.b, uint64(f.GID), 10)
	if len(f.Ambient) > 0 {
		w.key("ambient")
		w.b = append(w.b, '[')
		for i, c := range f.Ambient {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.b = strconv.AppendUint(w.b, uint64(c), 10)
		}
		w.b = append(w.b, ']')
	}
	return append(w.b, '}')
}

// appendJSON is Exit's body as encoding/json writes it: init sends one for
// every session, and a joining client decodes nothing else.
func (e Exit) appendJSON(b []byte) []byte {
	w := objectWriter{b: append(b, '{')}
	w.key("code")
	w.b = strconv.AppendInt(w.b, int64(e.Code), 10)
	w.intField("signal", int64(e.Signal))
	w.boolField("oom_killed", e.OOMKilled)
	w.intField("memory_max", e.MemoryMax)
	w.boolField("stopped", e.Stopped)
	return append(w.b, '}')
}

// appendJSON is Forked's body as encoding/json writes it: the spawner's
// answer to every Fork.
func (f Forked) appendJSON(b []byte) []byte {
	w := objectWriter{b: append(b, '{')}
	w.intField("pid", int64(f.PID))
	w.intField("errno", int64(f.Errno))
	w.stringField("err", f.Err, true)
	return append(w.b, '}')
}

// appendJSON is Reaped's body as encoding/json writes it: the spawner's
// report of every session's end.
func (r Reaped) appendJSON(b []byte) []byte {
	w := objectWriter{b: append(b, '{')}
	w.key("pid")
	w.b = strconv.AppendInt(w.b, int64(r.PID), 10)
	w.key("status")
	w.b = strconv.AppendUint(w.b, uint64(r.Status), 10)
	return append(w.b, '}')
}

// objectWriter appends an object's members, with the commas between them.
type objectWriter struct {
	b    []byte
	more bool
}

func (w *objectWriter) key(k string) {
	if w.more {
		w.b = append(w.b, ',')
	}
	w.more = true
	w.b = appendString(w.b, k)
	w.b = append(w.b, ':')
}

// boolField is a bool with omitempty.
func (w *objectWriter) boolField(k string, v bool) {
	if v {
		w.key(k)
		w.b = append(w.b, "true"...)
	}
}

// intField is a signed number with omitempty.
func (w *objectWriter) intField(k string, v int64) {
	if v != 0 {
		w.key(k)
		w.b = strconv.AppendInt(w.b, v, 10)
	}
}

// uintField is an unsigned number with omitempty.
func (w *objectWriter) uintField(k string, v uint64) {
	if v != 0 {
		w.key(k)
		w.b = strconv.AppendUint(w.b, v, 10)
	}
}

func (w *objectWriter) stringField(k, v string, omitEmpty bool) {
	if v != "" || !omitEmpty {
		w.key(k)
		w.b = appendString(w.b, v)
	}
}

// appendStrings is a []string: null when nil.
func appendStrings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// appendInts is a non-nil []int.
func appendInts(b []byte, ns []int) []byte {
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

// appendString quotes s as encoding/json does: <, > and & escaped for
// HTML, U+2028 and U+2029 escaped, each byte of invalid UTF-8 replaced by
// U+FFFD.
func appendString(b []byte, s string) []byte {
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
