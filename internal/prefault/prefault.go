// Package prefault makes a devbox process's start cheaper where page faults
// are dear. It runs at package init in every devbox binary, on both sides of
// the fork: the front, devbox-engine, the supervisor, and devbox-init (the
// sandbox's child, its PID 1 and the session spawner).
//
// A Go process's start touches a few hundred pages: its code, its read-only
// data (the runtime's tables, the type and interface tables) and its first
// heap. Each first touch is a page fault, and on a virtual machine that
// shadows the guest's page tables (this project's CI and benchmark machines
// run under one) a fault costs 12-30 µs where it costs well under 1 µs on
// bare metal: 400 of them were most of the front's 5-6 ms of CPU on a join.
// init maps those pages instead with madvise(MADV_POPULATE_READ) on the
// executable's read-only segments and MADV_POPULATE_WRITE on the start of
// the heap, a few system calls that cost 0.2-0.6 µs a page, and it turns
// off the runtime's sampling of allocations for memory profiles (whose
// first stack walk alone faults in much of the function tables), which
// devbox never writes.
//
// The populated read-only pages are the page cache's, shared with every
// other process of the same binary. A process that goes on to idle for
// hours (the supervisor, init, the spawner) calls Release once its start is
// over, so that its resident set is again only what it uses.
package prefault

import (
	"runtime"
	"syscall"
	"unsafe"
)

// heapWindow is how much of the heap, from the first object of this
// package's, init maps: about the heap a short command or a sandbox's
// start touches (the front on a join: 0.9 MiB; the supervisor 1.2 MiB).
const heapWindow = 640 << 10

func init() {
	runtime.MemProfileRate = 0
	for _, s := range readOnlySegments() {
		madvise(s, madvPopulateRead)
	}
	populateHeap()
}

// heapStart is where init's heap window starts.
var heapStart uintptr

// AfterFork is for a process whose fork of a child in a new user
// namespace (a full fork, not a vfork: package syscall's choice) left its
// heap's pages shared copy-on-write: once the child has exec'd, each first
// write would fault for nothing; it makes the start of the heap writable
// again in one call. It maps twice init's window: the supervisor's heap
// has grown past that by its child's start (40 of its 390 page faults on
// a cold start were these).
func AfterFork() {
	madvise(segment{heapStart, heapStart + 2*heapWindow}, madvPopulateWrite)
}

// Release drops this process's mappings of the executable's read-only
// segments; what it runs later faults back in from the page cache.
func Release() {
	for _, s := range readOnlySegments() {
		madvise(s, syscall.MADV_DONTNEED)
	}
}

// segment is a page-aligned range of this process's address space.
type segment struct{ start, end uintptr }

const (
	madvPopulateRead  = 22 // Linux 5.14
	madvPopulateWrite = 23
	atEntry           = 9 // the auxiliary vector's entry point
	ptLoad            = 1
	pfW               = 2
	// headerBytes is how much of the executable readOnlySegments reads:
	// the ELF header and the program headers after it.
	headerBytes = 4096
)

// readOnlySegments returns where the executable's non-writable loaded
// segments (code, read-only data) are mapped, from its ELF program headers
// (read from /proc/self/exe, which is also the sealed copy devbox-init
// runs from). It returns none where they cannot be read.
//
// It uses package syscall alone, not os or x/sys/unix: package init runs
// a package once its imports have run theirs, and syscall's come first.
func readOnlySegments() []segment {
	buf := make([]byte, headerBytes)
	n := readFile("/proc/self/exe", buf)
	segs, pie, entry := parseELF(buf[:n], uintptr(syscall.Getpagesize()))
	if len(segs) == 0 || !pie {
		return segs
	}
	// A position-independent executable is loaded at a bias: the entry
	// point as mapped (AT_ENTRY) against the header's.
	bias := auxv(atEntry) - entry
	for i := range segs {
		segs[i].start += bias
		segs[i].end += bias
	}
	return segs
}

// readFile reads the start of the file at path into buf, and returns how
// much it read.
func readFile(path string, buf []byte) int {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return 0
	}
	defer syscall.Close(fd)
	n, err := syscall.Pread(fd, buf, 0)
	if err != nil {
		return 0
	}
	return n
}

// auxv returns the value of key in this process's auxiliary vector, or 0.
func auxv(key uint64) uintptr {
	buf := make([]byte, 1024)
	n := readFile("/proc/self/auxv", buf)
	for b := buf[:n]; len(b) >= 16; b = b[16:] {
		if le64(b) == key {
			return uintptr(le64(b[8:]))
		}
	}
	return 0
}

// parseELF returns the page-aligned ranges of the non-writable PT_LOAD
// segments that a 64-bit little-endian ELF executable, whose start is b,
// asks to be mapped (before any load bias), whether it is position
// independent (ET_DYN), and its entry point. It returns no segments for
// anything else, or for headers that lie beyond b.
func parseELF(b []byte, pageSize uintptr) (segs []segment, pie bool, entry uintptr) {
	if len(b) < 64 || string(b[:4]) != "\x7fELF" || b[4] != 2 || b[5] != 1 {
		return nil, false, 0
	}
	pie = le16(b[16:]) == 3
	entry = uintptr(le64(b[24:]))
	off, size, num := le64(b[32:]), uint64(le16(b[54:])), uint64(le16(b[56:]))
	if size < 56 || off > uint64(len(b)) || num > (uint64(len(b))-off)/size {
		return nil, false, 0
	}
	for i := range num {
		h := b[off+i*size:]
		typ, flags := le32(h[0:]), le32(h[4:])
		vaddr, filesz := uintptr(le64(h[16:])), uintptr(le64(h[32:]))
		if typ != ptLoad || flags&pfW != 0 || filesz == 0 {
			continue
		}
		start := vaddr &^ (pageSize - 1)
		end := (vaddr + filesz + pageSize - 1) &^ (pageSize - 1)
		segs = append(segs, segment{start, end})
	}
	return segs, pie, entry
}

func le16(b []byte) uint16 { return uint16(b[0]) | uint16(b[1])<<8 }
func le32(b []byte) uint32 { return uint32(le16(b)) | uint32(le16(b[2:]))<<16 }
func le64(b []byte) uint64 { return uint64(le32(b)) | uint64(le32(b[4:]))<<32 }

// populateHeap maps heapWindow of the heap from this package's first
// object on: the runtime hands out the pages after it next. Pages past the
// heap's mapped end are simply not populated (the call fails there).
func populateHeap() {
	p := new([64]byte)
	start := uintptr(unsafe.Pointer(p)) &^ uintptr(syscall.Getpagesize()-1)
	heapStart = start
	madvise(segment{start, start + heapWindow}, madvPopulateWrite)
	runtime.KeepAlive(p)
}

// madvise applies advice to s; a kernel without it (MADV_POPULATE_* are
// Linux 5.14's) or a seccomp filter that refuses it changes nothing but
// the speed.
func madvise(s segment, advice int) {
	syscall.Syscall(syscall.SYS_MADVISE, s.start, s.end-s.start, uintptr(advice))
}
