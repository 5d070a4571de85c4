package proto

import "github.com/devbox-dev/devbox/internal/wire"

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
	"Spawn":  func(b []byte) (Message, bool) { return wire.DecodeSpawn(b) },
	"Fork":   func(b []byte) (Message, bool) { return decodeFork(b) },
	"Exit":   func(b []byte) (Message, bool) { return wire.DecodeExit(b) },
	"Forked": func(b []byte) (Message, bool) { return decodeForked(b) },
	"Reaped": func(b []byte) (Message, bool) { return decodeReaped(b) },
	// NetReady carries the launch spec (specjson.go).
	"NetReady": func(b []byte) (Message, bool) { return decodeNetReady(b) },
}

// decodeFork reads a Fork body as Fork.AppendJSON writes it.
func decodeFork(b []byte) (f Fork, ok bool) {
	r := wire.Reader{B: b}
	keys := []string{"path", "argv", "env", "dir", "setctty", "ctty", "uid", "gid", "ambient"}
	ok = r.Members(keys, func(k int) bool {
		switch keys[k] {
		case "path":
			f.Path = r.Str()
		case "argv":
			f.Argv = r.Strings()
		case "env":
			f.Env = r.Strings()
		case "dir":
			f.Dir = r.Str()
		case "setctty":
			f.Setctty = r.Bool()
		case "ctty":
			f.Ctty = int(r.Int())
		case "uid":
			f.UID = uint32(r.Uint(32))
		case "gid":
			f.GID = uint32(r.Uint(32))
		case "ambient":
			f.Ambient = r.Uintptrs()
		}
		return !r.Bad
	})
	return f, ok
}

// decodeForked reads a Forked body as Forked.AppendJSON writes it.
func decodeForked(b []byte) (f Forked, ok bool) {
	r := wire.Reader{B: b}
	keys := []string{"pid", "errno", "err"}
	ok = r.Members(keys, func(k int) bool {
		switch keys[k] {
		case "pid":
			f.PID = int(r.Int())
		case "errno":
			f.Errno = int(r.Int())
		case "err":
			f.Err = r.Str()
		}
		return !r.Bad
	})
	return f, ok
}

// decodeReaped reads a Reaped body as Reaped.AppendJSON writes it.
func decodeReaped(b []byte) (p Reaped, ok bool) {
	r := wire.Reader{B: b}
	keys := []string{"pid", "status"}
	ok = r.Members(keys, func(k int) bool {
		switch keys[k] {
		case "pid":
			p.PID = int(r.Int())
		case "status":
			p.Status = uint32(r.Uint(32))
		}
		return !r.Bad
	})
	return p, ok
}
