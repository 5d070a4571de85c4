package proto

import (
	"encoding/json"
	"reflect"
	"testing"
)

// fastAgrees checks a fast decoder against encoding/json on body: where
// the fast one reads it, encoding/json must read the same message.
func fastAgrees[T Message](t *testing.T, kind string, body []byte) (read bool) {
	t.Helper()
	got, ok := fastDecoders[kind](body)
	if !ok {
		return false
	}
	var want T
	if err := json.Unmarshal(body, &want); err != nil {
		t.Fatalf("%s %q: fast decoder read %#v, encoding/json failed: %v", kind, body, got, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s %q:\n fast          %#v\n encoding/json %#v", kind, body, got, want)
	}
	return true
}

func TestFastDecoders(t *testing.T) {
	spawns := []Spawn{{}, typicalSpawn(), spawnEveryField(),
		{Argv: []string{}, Env: []string{}, Relay: []int{}, KeepID: &KeepID{}},
		{Argv: []string{"\x00\x1f\x7f<>&\"\\\u2028é😀"}, Rows: 65535, Relay: []int{-9223372036854775808, 9223372036854775807}}}
	for _, s := range spawns {
		if !fastAgrees[Spawn](t, "Spawn", s.AppendJSON(nil)) {
			t.Errorf("fast decoder refused appendJSON's %#v", s)
		}
	}
	forks := []Fork{{}, everyField[Fork](), {Argv: []string{}, Ambient: []uintptr{}, Ctty: -1}}
	for _, f := range forks {
		if !fastAgrees[Fork](t, "Fork", f.AppendJSON(nil)) {
			t.Errorf("fast decoder refused appendJSON's %#v", f)
		}
	}
	for _, e := range []Exit{{}, everyField[Exit](), {Code: 137, Signal: 9, OOMKilled: true, MemoryMax: -1}, {Code: -9223372036854775808, MemoryMax: 9223372036854775807}} {
		if !fastAgrees[Exit](t, "Exit", e.AppendJSON(nil)) {
			t.Errorf("fast decoder refused appendJSON's %#v", e)
		}
	}
	for _, f := range []Forked{{}, everyField[Forked](), {PID: 42}, {Errno: 2, Err: "x\n\u2028"}} {
		if !fastAgrees[Forked](t, "Forked", f.AppendJSON(nil)) {
			t.Errorf("fast decoder refused appendJSON's %#v", f)
		}
	}
	for _, p := range []Reaped{{}, everyField[Reaped](), {PID: 7, Status: 4294967295}} {
		if !fastAgrees[Reaped](t, "Reaped", p.AppendJSON(nil)) {
			t.Errorf("fast decoder refused appendJSON's %#v", p)
		}
	}
	for _, c := range []struct{ kind, body string }{
		{"Exit", `{"code":1,"code":2}`}, {"Exit", `{"signal":9,"code":1}`}, {"Exit", `{"code":1.5}`},
		{"Exit", `{"code":"1"}`}, {"Exit", `{"code":1,"oom_killed":1}`}, {"Exit", `{"Code":1}`},
		{"Forked", `{"pid":4294967296000000000000}`}, {"Forked", `{"err":null}`},
		{"Reaped", `{"pid":1,"status":-1}`}, {"Reaped", `{"pid":1,"status":4294967296}`}, {"Reaped", `{"status":1,"pid":1}`},
	} {
		switch c.kind {
		case "Exit":
			if fastAgrees[Exit](t, c.kind, []byte(c.body)) {
				t.Errorf("fast decoder read %s %s, which it should leave to encoding/json", c.kind, c.body)
			}
		case "Forked":
			if fastAgrees[Forked](t, c.kind, []byte(c.body)) {
				t.Errorf("fast decoder read %s %s, which it should leave to encoding/json", c.kind, c.body)
			}
		case "Reaped":
			if fastAgrees[Reaped](t, c.kind, []byte(c.body)) {
				t.Errorf("fast decoder read %s %s, which it should leave to encoding/json", c.kind, c.body)
			}
		}
	}
	for _, body := range []string{
		`{"cwd":"a","cwd":"b"}`, `{"env":["a"] }`, `{"Cwd":"x"}`, `{"rows":65536}`, `{"rows":01}`,
		`{"rows":1.0}`, `{"rows":-1}`, `{"argv":["\ud83d\ude00"]}`, `{"argv":["\xff"]}`, `{"argv":[1]}`,
		`{"tty":null}`, `{"keep_id":{"gid":1,"uid":2}}`, `{"relay":[1,]}`, `{"cwd":"a"}x`, `{"nope":1}`,
		`{"shell":true,"argv":["x"]}`,
	} {
		if fastAgrees[Spawn](t, "Spawn", []byte(body)) {
			t.Errorf("fast decoder read %s, which it should leave to encoding/json", body)
		}
	}
	if !fastAgrees[Spawn](t, "Spawn", []byte(`{"argv":["\u00e9\/\b\f\n\r\t\u0000"],"env":null,"rows":0}`)) {
		t.Error("fast decoder refused the escapes it reads")
	}
}

// FuzzFastDecoders: whatever a fast decoder reads, encoding/json reads the
// same.
func FuzzFastDecoders(f *testing.F) {
	f.Add(typicalSpawn().AppendJSON(nil))
	f.Add(spawnEveryField().AppendJSON(nil))
	f.Add(everyField[Fork]().AppendJSON(nil))
	f.Add([]byte(`{"argv":["\u00e9\/"],"env":null,"relay":[-1],"keep_id":{"uid":1,"gid":2}}`))
	f.Add([]byte(`{"path":"p","ctty":-3,"uid":4294967295,"ambient":[0,1]}`))
	f.Add(everyField[Exit]().AppendJSON(nil))
	f.Add(everyField[Forked]().AppendJSON(nil))
	f.Add([]byte(`{"pid":3,"status":256}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		fastAgrees[Spawn](t, "Spawn", body)
		fastAgrees[Fork](t, "Fork", body)
		fastAgrees[Exit](t, "Exit", body)
		fastAgrees[Forked](t, "Forked", body)
		fastAgrees[Reaped](t, "Reaped", body)
	})
}
