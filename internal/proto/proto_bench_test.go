package proto

import "testing"

func BenchmarkMarshal(b *testing.B) {
	msg := typicalSpawn()
	frame, err := Marshal(msg)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Marshal(msg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	frame, err := Marshal(typicalSpawn())
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Unmarshal(frame); err != nil {
			b.Fatal(err)
		}
	}
}
