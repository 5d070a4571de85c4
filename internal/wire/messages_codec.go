package wire

import "strconv"

// AppendJSON is Spawn's body as encoding/json writes it.
func (s Spawn) AppendJSON(b []byte) []byte {
	w := Writer{B: append(b, '{')}
	if len(s.Argv) > 0 {
		w.Key("argv")
		w.B = AppendStrings(w.B, s.Argv)
	}
	w.Bool("shell", s.Shell)
	w.String("shell_hint", s.ShellHint, true)
	w.Bool("login", s.Login)
	w.Key("env")
	w.B = AppendStrings(w.B, s.Env)
	w.String("cwd", s.Cwd, false)
	w.String("default_cwd", s.DefaultCwd, true)
	w.Bool("tty", s.TTY)
	w.Uint("rows", uint64(s.Rows))
	w.Uint("cols", uint64(s.Cols))
	if len(s.Relay) > 0 {
		w.Key("relay")
		w.B = AppendInts(w.B, s.Relay)
	}
	if s.KeepID != nil {
		w.Key("keep_id")
		k := Writer{B: append(w.B, '{')}
		k.Key("uid")
		k.B = strconv.AppendUint(k.B, uint64(s.KeepID.UID), 10)
		k.Key("gid")
		k.B = strconv.AppendUint(k.B, uint64(s.KeepID.GID), 10)
		w.B = append(k.B, '}')
	}
	w.Bool("filter_path", s.FilterPath)
	w.Bool("no_started", s.NoStarted)
	w.Bool("trace", s.Trace)
	return append(w.B, '}')
}

// AppendJSON is Exit's body as encoding/json writes it: init sends one for
// every session, and a joining client decodes nothing else.
func (e Exit) AppendJSON(b []byte) []byte {
	w := Writer{B: append(b, '{')}
	w.Key("code")
	w.B = strconv.AppendInt(w.B, int64(e.Code), 10)
	w.Int("signal", int64(e.Signal))
	w.Bool("oom_killed", e.OOMKilled)
	w.Int("memory_max", e.MemoryMax)
	w.Bool("stopped", e.Stopped)
	return append(w.B, '}')
}

// DecodeSpawn reads a Spawn body as Spawn.AppendJSON writes it.
func DecodeSpawn(b []byte) (s Spawn, ok bool) {
	r := Reader{B: b}
	keys := []string{"argv", "shell", "shell_hint", "login", "env", "cwd", "default_cwd", "tty", "rows", "cols", "relay", "keep_id", "filter_path", "no_started", "trace"}
	ok = r.Members(keys, func(k int) bool {
		switch keys[k] {
		case "argv":
			s.Argv = r.Strings()
		case "shell":
			s.Shell = r.Bool()
		case "shell_hint":
			s.ShellHint = r.Str()
		case "login":
			s.Login = r.Bool()
		case "env":
			s.Env = r.Strings()
		case "cwd":
			s.Cwd = r.Str()
		case "default_cwd":
			s.DefaultCwd = r.Str()
		case "tty":
			s.TTY = r.Bool()
		case "rows":
			s.Rows = uint16(r.Uint(16))
		case "cols":
			s.Cols = uint16(r.Uint(16))
		case "relay":
			s.Relay = r.Ints()
		case "keep_id":
			s.KeepID = r.keepID()
		case "filter_path":
			s.FilterPath = r.Bool()
		case "no_started":
			s.NoStarted = r.Bool()
		case "trace":
			s.Trace = r.Bool()
		}
		return !r.Bad
	})
	return s, ok
}

// DecodeExit reads an Exit body as Exit.AppendJSON writes it.
func DecodeExit(b []byte) (e Exit, ok bool) {
	r := Reader{B: b}
	keys := []string{"code", "signal", "oom_killed", "memory_max", "stopped"}
	ok = r.Members(keys, func(k int) bool {
		switch keys[k] {
		case "code":
			e.Code = int(r.Int())
		case "signal":
			e.Signal = int(r.Int())
		case "oom_killed":
			e.OOMKilled = r.Bool()
		case "memory_max":
			e.MemoryMax = r.Int64()
		case "stopped":
			e.Stopped = r.Bool()
		}
		return !r.Bad
	})
	return e, ok
}

// keepID reads null (nil) or {"uid":N,"gid":N}.
func (r *Reader) keepID() *KeepID {
	if r.Literal("null") {
		return nil
	}
	k := &KeepID{}
	if !r.Literal(`{"uid":`) {
		r.Bad = true
		return nil
	}
	k.UID = uint32(r.Uint(32))
	if !r.Literal(`,"gid":`) {
		r.Bad = true
		return nil
	}
	k.GID = uint32(r.Uint(32))
	r.Byte('}')
	return k
}

// AppendJSON is Signal's body as encoding/json writes it: a client sends
// one for each signal it forwards.
func (s Signal) AppendJSON(b []byte) []byte {
	b = append(b, `{"sig":`...)
	b = strconv.AppendInt(b, int64(s.Sig), 10)
	return append(b, '}')
}
