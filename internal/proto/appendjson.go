package proto

import (
	"strconv"

	"github.com/devbox-dev/devbox/internal/wire"
)

// The hot messages write their own JSON: encoding/json learns a struct's
// fields by reflection the first time it meets the type, 0.15-0.25 ms for
// Spawn in a client, which marshals one Spawn in its life and waits for
// it. The bytes are encoding/json's own (appendjson_test.go compares them,
// field by field and fuzzed), so either side may use either encoder.

// jsonAppender is a message that appends its JSON body to b.
type jsonAppender interface {
	AppendJSON(b []byte) []byte
}

// jsonMaybeAppender is a message that appends its JSON body to b where it
// can, and reports ok false where it leaves the body to encoding/json.
type jsonMaybeAppender interface {
	appendJSONIf(b []byte) (out []byte, ok bool)
}

// AppendJSON is Fork's body as encoding/json writes it: init sends one
// for every session the spawner starts.
func (f Fork) AppendJSON(b []byte) []byte {
	w := wire.Writer{B: append(b, '{')}
	w.String("path", f.Path, false)
	w.Key("argv")
	w.B = wire.AppendStrings(w.B, f.Argv)
	w.Key("env")
	w.B = wire.AppendStrings(w.B, f.Env)
	w.String("dir", f.Dir, false)
	w.Bool("setctty", f.Setctty)
	if f.Ctty != 0 {
		w.Key("ctty")
		w.B = strconv.AppendInt(w.B, int64(f.Ctty), 10)
	}
	w.Key("uid")
	w.B = strconv.AppendUint(w.B, uint64(f.UID), 10)
	w.Key("gid")
	w.B = strconv.AppendUint(w.B, uint64(f.GID), 10)
	if len(f.Ambient) > 0 {
		w.Key("ambient")
		w.B = append(w.B, '[')
		for i, c := range f.Ambient {
			if i > 0 {
				w.B = append(w.B, ',')
			}
			w.B = strconv.AppendUint(w.B, uint64(c), 10)
		}
		w.B = append(w.B, ']')
	}
	return append(w.B, '}')
}

// AppendJSON is Forked's body as encoding/json writes it: the spawner's
// answer to every Fork.
func (f Forked) AppendJSON(b []byte) []byte {
	w := wire.Writer{B: append(b, '{')}
	w.Int("pid", int64(f.PID))
	w.Int("errno", int64(f.Errno))
	w.String("err", f.Err, true)
	return append(w.B, '}')
}

// AppendJSON is Reaped's body as encoding/json writes it: the spawner's
// report of every session's end.
func (r Reaped) AppendJSON(b []byte) []byte {
	w := wire.Writer{B: append(b, '{')}
	w.Key("pid")
	w.B = strconv.AppendInt(w.B, int64(r.PID), 10)
	w.Key("status")
	w.B = strconv.AppendUint(w.B, uint64(r.Status), 10)
	return append(w.B, '}')
}
