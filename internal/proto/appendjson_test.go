package proto

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"reflect"
	"testing"
)

// oldMarshal is the frame as encoding/json writes the whole envelope: what
// Marshal wrote before it wrote the envelope itself, and what an older
// devbox still writes.
func oldMarshal(t testing.TB, msg Message) []byte {
	body, err := json.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	env, err := json.Marshal(envelope{Type: msg.Kind(), Body: body})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, 4+len(env))
	binary.BigEndian.PutUint32(out, uint32(len(env)))
	copy(out[4:], env)
	return out
}

func TestMarshalMatchesEncodingJSON(t *testing.T) {
	msgs := append(allMessages(), typicalSpawn(), spawnEveryField(), everyField[Fork](), Fork{}, Fork{Argv: []string{}, Ambient: []uintptr{}},
		everyField[Exit](), Exit{}, Exit{Code: 137, Signal: 9, OOMKilled: true, MemoryMax: -1},
		everyField[Forked](), Forked{}, Forked{Errno: 2}, everyField[Reaped](), Reaped{})
	for _, msg := range msgs {
		got, err := Marshal(msg)
		if err != nil {
			t.Fatalf("%s: %v", msg.Kind(), err)
		}
		if want := oldMarshal(t, msg); !bytes.Equal(got, want) {
			t.Errorf("%s:\n got  %q\n want %q", msg.Kind(), got, want)
		}
	}
}

// spawnEveryField is a Spawn with every field set (by reflection, so a
// field added to Spawn is set too and must be written by appendJSON).
func spawnEveryField() Spawn { return everyField[Spawn]() }

// everyField is a T with every field set.
func everyField[T any]() T {
	var s T
	v := reflect.ValueOf(&s).Elem()
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.Bool:
			f.SetBool(true)
		case reflect.String:
			f.SetString("s<&>\"" + v.Type().Field(i).Name)
		case reflect.Uint16, reflect.Uint32:
			f.SetUint(uint64(40 + i))
		case reflect.Int, reflect.Int64:
			f.SetInt(int64(-7 - i))
		case reflect.Slice:
			switch f.Type().Elem().Kind() {
			case reflect.String:
				f.Set(reflect.ValueOf([]string{"a=1", "b\n\u2028\xff"}))
			case reflect.Int:
				f.Set(reflect.ValueOf([]int{0, 2}))
			case reflect.Uintptr:
				f.Set(reflect.ValueOf([]uintptr{0, 21, 40}))
			}
		case reflect.Pointer:
			f.Set(reflect.ValueOf(&KeepID{UID: 1000, GID: 4294967295}))
		}
		if f.IsZero() {
			panic("everyField: set " + v.Type().Name() + "." + v.Type().Field(i).Name)
		}
	}
	return s
}

func TestSpawnJSON(t *testing.T) {
	for name, s := range map[string]Spawn{
		"zero":         {},
		"every field":  spawnEveryField(),
		"typical":      typicalSpawn(),
		"empty slices": {Argv: []string{}, Env: []string{}, Relay: []int{}},
		"strings": {Argv: []string{"", "\x00\x01\x1f\x7f", "é€😀", "\xe2\x80", "\u2029x", "\\\"\t\r\b\f"},
			Cwd: "/a b/<c>", Env: []string{"K=v&w"}},
		"tty":   {TTY: true, Rows: 65535, Cols: 1, KeepID: &KeepID{}},
		"relay": {Relay: []int{-1, 2, 1 << 40}},
	} {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.AppendJSON(nil); !bytes.Equal(got, want) {
			t.Errorf("%s:\n got  %s\n want %s", name, got, want)
		}
	}
}

// FuzzSpawnJSON checks appendJSON against encoding/json on arbitrary
// strings and numbers.
func FuzzSpawnJSON(f *testing.F) {
	f.Add("true", "PATH=/bin", "/tmp", "", false, uint16(0), 0, uint32(0))
	f.Add("\xff<\u2028", "\x00=\"", "\\", "é", true, uint16(24), -3, uint32(1000))
	f.Fuzz(func(t *testing.T, arg, env, cwd, hint string, flag bool, rows uint16, relay int, uid uint32) {
		s := Spawn{Argv: []string{arg, env}, Shell: flag, ShellHint: hint, Login: !flag, Env: []string{env, arg},
			Cwd: cwd, DefaultCwd: hint, TTY: flag, Rows: rows, Cols: rows / 2, Relay: []int{relay},
			FilterPath: flag}
		if flag {
			s.KeepID = &KeepID{UID: uid, GID: uid / 3}
		}
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.AppendJSON(nil); !bytes.Equal(got, want) {
			t.Fatalf("\n got  %s\n want %s", got, want)
		}
		frame, err := Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(frame, oldMarshal(t, s)) {
			t.Fatalf("frame %q differs from encoding/json's", frame)
		}
		fork := Fork{Path: cwd, Argv: s.Argv, Env: s.Env, Dir: hint, Setctty: flag, Ctty: relay, UID: uid, GID: uid / 5, Ambient: []uintptr{uintptr(rows)}}
		if frame, err = Marshal(fork); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(frame, oldMarshal(t, fork)) {
			t.Fatalf("Fork frame %q differs from encoding/json's", frame)
		}
	})
}

// TestUnmarshalOursAgrees decodes frames the fast path takes and frames
// close to them that it must leave to the general path.
func TestUnmarshalOursAgrees(t *testing.T) {
	for _, in := range []string{
		`{"type":"Exit","body":{"code":3}}`,
		`{"type":"Exit","body":{"code":3},"type":"Started"}`,
		`{"type":"Exit","body": {"code":3} }`,
		`{"type":"Exit","body":{"code":3}}}`,
		`{"type":"Exit","body":}`,
		`{"type":"Exit","body":null}`,
		`{"type":"Exit","body":"x"}`,
		`{"type":"Nope","body":{}}`,
		`{"type":"Ex\u0069t","body":{"code":3}}`,
		`{"type":"Exit","body":{"code":3,"code":4}}`,
	} {
		got, gotErr := unmarshal([]byte(in))
		want, wantErr := slowUnmarshal([]byte(in))
		if (gotErr == nil) != (wantErr == nil) || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %#v, %v; want %#v, %v", in, got, gotErr, want, wantErr)
		}
	}
}

// FuzzUnmarshalOurs checks that the fast path decodes what the general
// path decodes, and fails where it fails.
func FuzzUnmarshalOurs(f *testing.F) {
	for _, msg := range append(allMessages(), spawnEveryField()) {
		b, err := Marshal(msg)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b[4:])
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		got, gotErr := unmarshal(in)
		want, wantErr := slowUnmarshal(in)
		if (gotErr == nil) != (wantErr == nil) || !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: got %#v, %v; want %#v, %v", in, got, gotErr, want, wantErr)
		}
	})
}

// slowUnmarshal is the general path alone.
func slowUnmarshal(buf []byte) (Message, error) {
	var env envelope
	if err := json.Unmarshal(buf, &env); err != nil {
		return nil, err
	}
	dec, ok := registry()[env.Type]
	if !ok {
		return nil, errEOF()
	}
	return dec(env.Body)
}
