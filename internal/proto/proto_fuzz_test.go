package proto

import (
	"bytes"
	"reflect"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to Decode. It must never panic, and any
// frame that decodes must re-marshal to a frame that decodes to the same
// message (and re-marshals to the same bytes).
func FuzzDecode(f *testing.F) {
	for _, msg := range allMessages() {
		b, err := Marshal(msg)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Add([]byte{})
	f.Add([]byte{0, 0, 0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Add(frame(`{"type":"Spawn","body":null}`))
	f.Add(frame(`{"type":"InfoReply","body":{"started_at":"2024-01-02T03:04:05.123+05:30"}}`))
	f.Add(frame(`{"type":"Error","body":{"msg":"\ud800 bad \u003c"}}`))
	f.Add(frame(`{"type":"Nope"}`))

	f.Fuzz(func(t *testing.T, data []byte) {
		msg, err := Decode(bytes.NewReader(data))
		if err != nil {
			if msg != nil {
				t.Fatalf("Decode returned %#v with error %v", msg, err)
			}
			return
		}
		b1, err := Marshal(msg)
		if err != nil {
			t.Fatalf("re-marshal %#v: %v", msg, err)
		}
		msg2, err := Unmarshal(b1)
		if err != nil {
			t.Fatalf("decode re-marshalled %q: %v", b1, err)
		}
		if !sameMessage(msg, msg2) {
			t.Fatalf("round trip changed the message:\n first  %#v\n second %#v", msg, msg2)
		}
		b2, err := Marshal(msg2)
		if err != nil {
			t.Fatalf("marshal again: %v", err)
		}
		if !bytes.Equal(b1, b2) {
			t.Fatalf("marshal not stable:\n %q\n %q", b1, b2)
		}
	})
}

// sameMessage is reflect.DeepEqual, except that times compare by instant and
// offset, since a decoded zone is a fresh *time.Location each time.
func sameMessage(a, b Message) bool {
	ra, okA := a.(InfoReply)
	rb, okB := b.(InfoReply)
	if okA && okB {
		_, offA := ra.StartedAt.Zone()
		_, offB := rb.StartedAt.Zone()
		if !ra.StartedAt.Equal(rb.StartedAt) || offA != offB {
			return false
		}
		ra.StartedAt = rb.StartedAt
		return reflect.DeepEqual(ra, rb)
	}
	return reflect.DeepEqual(a, b)
}
