// Package prefault makes a devbox process's start cheaper where page faults
// are dear. It runs at package init in every devbox binary, on both sides of
// the fork: devbox (the fast join's and fast start's client), the front,
// devbox-engine, the supervisor, and devbox-init (the sandbox's child, its
// PID 1 and the session spawner).
//
// A Go process's start touches a few hundred pages: its code, its read-only
// data (the runtime's tables, the type and interface tables) and its first
// heap. Each first touch is a page fault, and on a virtual machine that
// shadows the guest's page tables (this project's CI and benchmark machines
// run under one) a fault costs 12-30 µs where it costs well under 1 µs on
// bare metal: 400 of them were most of the front's 5-6 ms of CPU on a join.
// init maps the executable's read-only segments instead, with
// madvise(MADV_POPULATE_READ): a few system calls that cost 0.2 µs a page.
// It leaves the heap to fault in as it grows (populated ahead, its pages
// would stay with idle supervisors and inits that never use them), and
// turns off the runtime's sampling of allocations for memory profiles
// (whose first stack walk alone faults in much of the function tables),
// which devbox never writes.
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

// heapWindow is how much of the heap Heap maps: about what the front
// touches on a join (0.9 MiB from the process's start, most of it before
// main). A fast join's client, in devbox, faults no fewer pages with more
// (206 a join with 640 KiB, 207 with 1 MiB, 215 with 128 KiB, 274 with
// none).
const heapWindow = 640 << 10

// afterForkWindow is how much of the heap AfterFork looks at: more than
// the supervisor's heap when it clones its child (1.2 MiB).
const afterForkWindow = 2 << 20

func init() {
	runtime.MemProfileRate = 0
	readOnly = readOnlySegments()
	for _, s := range readOnly {
		madvise(s, madvPopulateRead)
	}
	heapStart = heapAddress()
}

var (
	// readOnly are the executable's read-only segments, as init found
	// them (for Release).
	readOnly []segment
	// heapStart is the heap's start as init found it.
	heapStart uintptr
)

// Heap maps heapWindow of the heap from where the runtime hands out pages
// next: for a short-lived process (the front), which would otherwise
// fault each in. Pages the heap does not come to use stay resident until
// the process exits, so a process that idles does without. Past the
// heap's mapped end nothing is populated (the call fails there).
func Heap() {
	start := heapAddress()
	madvise(segment{start, start + heapWindow}, madvPopulateWrite)
}

// AfterFork is for a process whose fork of a child in a new user
// namespace (a full fork, not a vfork: package syscall's choice) left its
// heap's pages shared copy-on-write: once the child has exec'd, each first
// write would fault for nothing (40 of the supervisor's 390 page faults on
// a cold start). It makes the resident pages at the start of the heap
// writable again in a few calls, and maps no page the heap has not used.
func AfterFork() {
	pageSize := uintptr(syscall.Getpagesize())
	vec := make([]byte, afterForkWindow/pageSize)
	if heapStart == 0 || mincore(heapStart, afterForkWindow, vec) != nil {
		return
	}
	for _, s := range residentRuns(heapStart, vec, pageSize) {
		madvise(s, madvPopulateWrite)
	}
}

// residentRuns returns the runs of resident pages (mincore's low bit) in
// vec, whose first page is at start.
func residentRuns(start uintptr, vec []byte, pageSize uintptr) []segment {
	var out []segment
	for i := 0; i < len(vec); {
		if vec[i]&1 == 0 {
			i++
			continue
		}
		j := i
		for j < len(vec) && vec[j]&1 != 0 {
			j++
		}
		out = append(out, segment{start + uintptr(i)*pageSize, start + uintptr(j)*pageSize})
		i = j
	}
	return out
}

func mincore(start, n uintptr, vec []byte) error {
	_, _, errno := syscall.Syscall(syscall.SYS_MINCORE, start, n, uintptr(unsafe.Pointer(&vec[0])))
	if errno != 0 {
		return errno
	}
	return nil
}

// Release drops this process's mappings of the executable's read-only
// segments; what it runs later faults back in from the page cache.
func Release() {
	for _, s := range readOnly {
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

// heapAddress is the page of a new heap object: the runtime hands out the
// pages after it next.
func heapAddress() uintptr {
	p := new([64]byte)
	a := uintptr(unsafe.Pointer(p)) &^ uintptr(syscall.Getpagesize()-1)
	runtime.KeepAlive(p)
	return a
}

// madvise applies advice to s; a kernel without it (MADV_POPULATE_* are
// Linux 5.14's) or a seccomp filter that refuses it changes nothing but
// the speed.
func madvise(s segment, advice int) {
	syscall.Syscall(syscall.SYS_MADVISE, s.start, s.end-s.start, uintptr(advice))
}
