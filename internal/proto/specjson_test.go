package proto

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/devbox-dev/devbox/cgroupv2"
	"github.com/devbox-dev/devbox/slirpnet"
)

// specLeftToJSON are the fields appendSpec leaves to encoding/json: a spec
// that sets one is written and read by encoding/json whole.
var specLeftToJSON = map[string]bool{"Image": true, "Egress": true}

// fastSpec is a Spec with every field appendSpec writes set (a field added
// to Spec must be set here, TestFastSpecSetsEveryField says, and then
// written by appendSpec, or TestSpecJSON fails).
func fastSpec() Spec {
	return Spec{
		Name: "proj-1", Hostname: "proj", ProjectDir: "/home/u/proj <&>", Home: "/home/u",
		HomeSource: "/run/user/1000/devbox/proj-1/home", HomeTmpfs: true, StateDir: "/run/user/1000/devbox/proj-1",
		Network: slirpnet.Host, Ports: []string{"8080:80", "127.0.0.1:9000:9000/udp"},
		AllowHostLoopback: true, SingleID: true, Cgroup: true, IdleTimeout: -15 * time.Minute,
		Mounts:       []Mount{{Source: "/data", Target: "/mnt/data", ReadOnly: true}, {Source: "/c\u2028\xff", Target: "/t"}},
		HomeReadOnly: true, Security: SecurityStrict, Hidden: []string{"/run/user/1000/devbox"},
		RequireProc: true, Review: &ReviewLayer{Driver: "overlay", Upper: "/u", Work: "/w"},
		RequireStrict: true, Protect: []string{".git/hooks", ".envrc"}, DenyRead: []string{"/home/u/.ssh"},
		LaunchSession: true, UID: 4294967295, GID: 1000, User: "u\"ser", Ephemeral: true,
		Limits:        cgroupv2.Limits{Memory: 1 << 40, Pids: 512, CPUWeight: 10000},
		RequireLimits: true, ScopeError: "systemd-run --user --scope failed: no bus",
	}
}

func TestFastSpecSetsEveryField(t *testing.T) {
	v := reflect.ValueOf(fastSpec())
	for i := 0; i < v.NumField(); i++ {
		name := v.Type().Field(i).Name
		if v.Field(i).IsZero() && !specLeftToJSON[name] {
			t.Errorf("fastSpec leaves Spec.%s unset: set it, and write it in appendSpec", name)
		}
	}
}

// specsForJSON are specs of every shape: the zero one, a typical one, one
// with every field appendSpec writes, and ones it leaves to encoding/json.
func specsForJSON() (fast, slow []Spec) {
	swap := int64(0)
	typical := Spec{Name: "a-bd85f0-rm-ca6ded98", Hostname: "a", ProjectDir: "/tmp/a", Home: "/home/u",
		HomeTmpfs: true, StateDir: "/tmp/devbox-983/a-bd85f0-rm-ca6ded98",
		Network: slirpnet.None, Hidden: []string{"/tmp/devbox-983"}, UID: 983, GID: 983, User: "u", Ephemeral: true, LaunchSession: true}
	fast = []Spec{{}, typical, fastSpec(), {Limits: cgroupv2.Limits{Memory: -1}}}
	withImage, withEgress, withSwap, withCPUs := fastSpec(), fastSpec(), fastSpec(), typical
	withImage.Image = &ImageRoot{Ref: "debian:12", Driver: "overlay", Lower: []string{"/l"}, Upper: "/u"}
	withEgress.Egress = &Egress{Allow: []string{"*.example.com"}}
	withSwap.Limits.MemorySwap = &swap
	withCPUs.Limits.CPUs = 1.5
	return fast, []Spec{withImage, withEgress, withSwap, withCPUs}
}

func TestSpecJSON(t *testing.T) {
	fast, slow := specsForJSON()
	for _, s := range append(fast, slow...) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		got, err := MarshalSpec(s)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("MarshalSpec:\n got  %s (%v)\n want %s", got, err, want)
		}
		var wantSpec Spec
		if err := json.Unmarshal(want, &wantSpec); err != nil {
			t.Fatal(err)
		}
		if s, err := UnmarshalSpec(want); err != nil || !reflect.DeepEqual(s, wantSpec) {
			t.Errorf("UnmarshalSpec(%s):\n got  %#v (%v)\n want %#v", want, s, err, wantSpec)
		}
	}
	for _, s := range fast {
		b, _ := json.Marshal(s)
		if _, ok := decodeSpec(b); !ok {
			t.Errorf("the fast reader refused appendSpec's %s", b)
		}
	}
	for _, s := range slow {
		if b, ok := appendSpec(nil, s); ok {
			t.Errorf("appendSpec wrote %s, which it should leave to encoding/json", b)
		}
	}
}

func TestSpecJSONLeavesTheRestToEncodingJSON(t *testing.T) {
	for _, body := range []string{
		`{"name":"a","name":"b"}`, `{"ports":[]}`, `{"ports":null}`, `{"mounts":[]}`, `{"hidden":null}`,
		`{"limits":{"cpus":1}}`, `{"limits":{"pids":1,"memory":2}}`, `{ "name":"a"}`, `{"Name":"a"}`,
		`{"port_opaque":{}}`, `{"idle_timeout":1.5}`, `{"uid":-1}`, `{"name":"a"}x`, `{"review":null}`,
		`{"mounts":[{"target":"/t","source":"/s"}]}`, `{"network":"nope"}`,
	} {
		if s, ok := decodeSpec([]byte(body)); ok {
			t.Errorf("the fast reader read %s as %#v; it should leave it to encoding/json", body, s)
		}
	}
	if _, err := UnmarshalSpec([]byte(`{"network":"nope"}`)); err == nil {
		t.Error("UnmarshalSpec of an unknown network: want encoding/json's error")
	}
}

func TestNetReadyJSON(t *testing.T) {
	fast, slow := specsForJSON()
	for _, s := range append(fast, slow...) {
		for _, po := range []map[string]string{nil, {"b": "2", "a": "1<"}} {
			n := NetReady{Spec: s, PortOpaque: po, Etc: EtcFiles{Hostname: "h\n", Hosts: "127.0.0.1\tlocalhost\n", ResolvConf: "nameserver 10.0.2.3\n"}}
			got, err := Marshal(n)
			if err != nil {
				t.Fatal(err)
			}
			if want := oldMarshal(t, n); !bytes.Equal(got, want) {
				t.Errorf("NetReady:\n got  %q\n want %q", got, want)
			}
			if b, ok := n.appendJSONIf(nil); ok && !fastAgrees[NetReady](t, "NetReady", b) {
				t.Errorf("the fast reader refused appendJSONIf's %s", b)
			}
		}
	}
}

// FuzzSpecJSON: whatever the fast readers read, encoding/json reads the
// same.
func FuzzSpecJSON(f *testing.F) {
	fast, _ := specsForJSON()
	for _, s := range fast {
		b, _ := json.Marshal(s)
		f.Add(b)
		nr, _ := NetReady{Spec: s, PortOpaque: map[string]string{"a": "1", "b": "\u00e9"}}.appendJSONIf(nil)
		f.Add(nr)
	}
	f.Add([]byte(`{"limits":{"memory":-9223372036854775808},"mounts":[{"source":"\u00e9","target":"\/","read_only":false}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if got, ok := decodeSpec(body); ok {
			var want Spec
			if err := json.Unmarshal(body, &want); err != nil {
				t.Fatalf("%q: fast reader read %#v, encoding/json failed: %v", body, got, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%q:\n fast          %#v\n encoding/json %#v", body, got, want)
			}
		}
		fastAgrees[NetReady](t, "NetReady", body)
	})
}

// An empty body decodes to the message's zero value without
// encoding/json (decoderFor), as encoding/json would decode it: every
// message is a struct.
func TestEmptyBodyIsZeroMessage(t *testing.T) {
	for kind := range registry() {
		got, err := Unmarshal(frame(`{"type":"` + kind + `","body":{}}`))
		if err != nil {
			t.Fatalf("%s with body {}: %v", kind, err)
		}
		typ := reflect.TypeOf(got)
		if typ.Kind() != reflect.Struct {
			t.Fatalf("%s is a %s, not a struct: decoderFor's {} shortcut does not hold for it", kind, typ.Kind())
		}
		if want := reflect.Zero(typ).Interface(); !reflect.DeepEqual(got, want) {
			t.Errorf("%s with body {}: got %#v, want the zero value", kind, got)
		}
	}
}
