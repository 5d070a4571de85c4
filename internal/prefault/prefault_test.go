package prefault

import (
	"bytes"
	"os"
	"reflect"
	"syscall"
	"testing"
)

// elfHeader builds the start of a 64-bit little-endian ELF file of type
// typ with entry point entry and the given program headers.
func elfHeader(typ uint16, entry uint64, phdrs ...[4]uint64) []byte {
	var b bytes.Buffer
	put := func(v uint64, n int) {
		for i := range n {
			b.WriteByte(byte(v >> (8 * i)))
		}
	}
	b.WriteString("\x7fELF")
	b.Write([]byte{2, 1, 1, 0})
	b.Write(make([]byte, 8))
	put(uint64(typ), 2)
	put(62, 2) // EM_X86_64
	put(1, 4)
	put(entry, 8)
	put(64, 8) // e_phoff
	put(0, 8)  // e_shoff
	put(0, 4)  // e_flags
	put(64, 2) // e_ehsize
	put(56, 2) // e_phentsize
	put(uint64(len(phdrs)), 2)
	put(0, 6)                 // e_shentsize, e_shnum, e_shstrndx
	for _, p := range phdrs { // type, flags, vaddr, filesz
		put(p[0], 4)
		put(p[1], 4)
		put(0, 8) // offset
		put(p[2], 8)
		put(p[2], 8) // paddr
		put(p[3], 8)
		put(p[3], 8) // memsz
		put(0x1000, 8)
	}
	return b.Bytes()
}

func TestParseELF(t *testing.T) {
	const rx, r, rw = 5, 4, 6
	goExec := elfHeader(2, 0x48b5c0,
		[4]uint64{6, r, 0x400040, 0x150}, // PT_PHDR
		[4]uint64{ptLoad, rx, 0x400000, 0x293171},
		[4]uint64{ptLoad, r, 0x694000, 0x2bc000},
		[4]uint64{ptLoad, rw, 0x950000, 0x6f3a0},
		[4]uint64{0x6474e551, rw, 0, 0}, // PT_GNU_STACK
	)
	pie := elfHeader(3, 0x1040,
		[4]uint64{ptLoad, r, 0, 0x5f0},
		[4]uint64{ptLoad, rx, 0x1000, 0x1a5},
		[4]uint64{ptLoad, r, 0x2000, 0},
	)
	truncated := elfHeader(2, 0, [4]uint64{ptLoad, rx, 0x400000, 0x1000}, [4]uint64{ptLoad, r, 0x401000, 0x1000})
	truncated = truncated[:len(truncated)-10]
	elf32 := bytes.Clone(goExec)
	elf32[4] = 1
	bigEndian := bytes.Clone(goExec)
	bigEndian[5] = 2
	tests := []struct {
		name  string
		b     []byte
		segs  []segment
		pie   bool
		entry uintptr
	}{
		{"a Go executable: code and read-only data, not data or bss", goExec,
			[]segment{{0x400000, 0x694000}, {0x694000, 0x950000}}, false, 0x48b5c0},
		{"a position-independent executable: empty segments skipped", pie,
			[]segment{{0, 0x1000}, {0x1000, 0x2000}}, true, 0x1040},
		{"program headers past the bytes read", truncated, nil, false, 0},
		{"32-bit", elf32, nil, false, 0},
		{"big-endian", bigEndian, nil, false, 0},
		{"not ELF", []byte("#!/bin/sh\necho hi\n" + string(make([]byte, 64))), nil, false, 0},
		{"empty", nil, nil, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			segs, pie, entry := parseELF(tt.b, 4096)
			if !reflect.DeepEqual(segs, tt.segs) {
				t.Errorf("segments = %#x, want %#x", segs, tt.segs)
			}
			if tt.segs != nil && (pie != tt.pie || entry != tt.entry) {
				t.Errorf("pie, entry = %v, %#x, want %v, %#x", pie, entry, tt.pie, tt.entry)
			}
		})
	}
}

func FuzzParseELF(f *testing.F) {
	f.Add(elfHeader(2, 0x401000, [4]uint64{ptLoad, 5, 0x400000, 0x1000}))
	f.Add(elfHeader(3, 0x1040, [4]uint64{ptLoad, 4, 0, 0x5f0}, [4]uint64{ptLoad, 6, 0x2000, 0x10}))
	f.Fuzz(func(t *testing.T, b []byte) {
		segs, _, _ := parseELF(b, 4096)
		for _, s := range segs {
			if s.start%4096 != 0 || s.end%4096 != 0 {
				t.Fatalf("segment %#x is not page-aligned", s)
			}
		}
	})
}

// TestReadOnlySegmentsHoldThisCode reads the test binary's own headers:
// its code must be inside what init populated and Release drops.
func TestReadOnlySegmentsHoldThisCode(t *testing.T) {
	segs := readOnlySegments()
	if len(segs) == 0 {
		t.Fatal("no read-only segments found in /proc/self/exe")
	}
	pc := reflect.ValueOf(TestReadOnlySegmentsHoldThisCode).Pointer()
	found := false
	for _, s := range segs {
		found = found || (s.start <= pc && pc < s.end)
	}
	if !found {
		t.Fatalf("this test's code at %#x is in none of %#x", pc, segs)
	}
}

// TestReleaseKeepsTheProcessRunning drops the code's pages and goes on
// running: they fault back in from the file.
func TestReleaseKeepsTheProcessRunning(t *testing.T) {
	Release()
	if _, err := os.ReadFile("/proc/self/status"); err != nil {
		t.Fatal(err)
	}
	var st syscall.Stat_t
	if err := syscall.Stat("/proc/self/exe", &st); err != nil {
		t.Fatal(err)
	}
}

func TestResidentRuns(t *testing.T) {
	tests := []struct {
		vec  []byte
		want []segment
	}{
		{[]byte{0, 0, 0}, nil},
		{[]byte{1, 1, 1}, []segment{{0x1000, 0x4000}}},
		{[]byte{1, 0, 3, 1, 0, 0, 1}, []segment{{0x1000, 0x2000}, {0x3000, 0x5000}, {0x7000, 0x8000}}},
		{[]byte{2, 1}, []segment{{0x2000, 0x3000}}}, // bits other than the low one
	}
	for _, tt := range tests {
		if got := residentRuns(0x1000, tt.vec, 0x1000); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("residentRuns(%v) = %#x, want %#x", tt.vec, got, tt.want)
		}
	}
}

// TestAfterForkMapsNoNewPages: AfterFork makes resident heap pages
// writable; it must not add pages the heap never used to the resident set.
func TestAfterForkMapsNoNewPages(t *testing.T) {
	const n = afterForkWindow
	pageSize := uintptr(syscall.Getpagesize())
	before := make([]byte, n/pageSize)
	if heapStart == 0 || mincore(heapStart, n, before) != nil {
		t.Skip("SKIP: mincore of the heap's start is refused here")
	}
	AfterFork()
	after := make([]byte, n/pageSize)
	if err := mincore(heapStart, n, after); err != nil {
		t.Fatal(err)
	}
	added := 0
	for i := range before {
		if before[i]&1 == 0 && after[i]&1 != 0 {
			added++
		}
	}
	// The test's own goroutines may touch a few new heap pages meanwhile.
	if added > 8 {
		t.Errorf("AfterFork made %d pages resident that were not", added)
	}
}
