// Package prebuilt holds the sandbox's system call filters as assembled
// at build time, and installs them. It runs in the sandbox child: init
// installs the default filter (and, for strict sandboxes, the connect
// notifier) on all its threads before it serves sessions, and each strict
// session's first process adds the strict filter.
//
// On amd64 the tables are written by `go generate ./internal/seccomp` from
// the profile in internal/seccomp (z_amd64.go), and a test there fails
// when they differ from what the profile assembles: nothing builds a
// filter at run time. The filter library assembles only for the machine
// it runs on, so other architectures assemble the same profile at each
// start (other.go); tables_amd64.go hands out the tables.
package prebuilt

import (
	"fmt"
	"unsafe"

	"github.com/devbox-dev/devbox/internal/seccomp/notifyabi"
	"golang.org/x/sys/unix"
)

// Filter is a compiled filter, ready to install.
type Filter struct {
	prog []unix.SockFilter
}

// New wraps a program in the kernel's form.
func New(prog []unix.SockFilter) *Filter { return &Filter{prog: prog} }

// Default is the default profile's filter for this architecture.
func Default() (*Filter, error) { return wrap(defaultProgram()) }

// Strict is the strict sessions' extra filter for this architecture.
func Strict() (*Filter, error) { return wrap(strictProgram()) }

// Notify is the strict profile's connect notifier for this architecture,
// with the system call numbers it reports.
func Notify() (*Filter, notifyabi.Calls, error) {
	f, err := wrap(notifyProgram())
	return f, notifyabi.Native(), err
}

func wrap(prog []unix.SockFilter, err error) (*Filter, error) {
	if err != nil {
		return nil, err
	}
	return New(prog), nil
}

// Install loads the filter for every thread of the calling process
// (SECCOMP_FILTER_FLAG_TSYNC: Go runs on several). The caller needs
// CAP_SYS_ADMIN in its user namespace or no_new_privs set.
func (f *Filter) Install() error {
	prog := unix.SockFprog{Len: uint16(len(f.prog)), Filter: &f.prog[0]}
	r, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, unix.SECCOMP_FILTER_FLAG_TSYNC, uintptr(unsafe.Pointer(&prog)))
	if errno != 0 {
		return fmt.Errorf("install seccomp filter: %w", errno)
	}
	if r != 0 {
		return fmt.Errorf("install seccomp filter: thread %d could not be synchronised", r)
	}
	return nil
}

// InstallListener loads the filter for every thread of the calling
// process and returns the listener's descriptor (close-on-exec).
// SECCOMP_FILTER_FLAG_TSYNC_ESRCH (Linux 5.7) lets TSYNC and the listener
// go together: a thread that cannot be synchronised fails the call with
// ESRCH rather than by returning its id, which would read as the fd.
func (f *Filter) InstallListener() (int, error) {
	prog := unix.SockFprog{Len: uint16(len(f.prog)), Filter: &f.prog[0]}
	flags := unix.SECCOMP_FILTER_FLAG_NEW_LISTENER | unix.SECCOMP_FILTER_FLAG_TSYNC | unix.SECCOMP_FILTER_FLAG_TSYNC_ESRCH
	r, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, uintptr(flags), uintptr(unsafe.Pointer(&prog)))
	if errno != 0 {
		return -1, fmt.Errorf("install connect notifier filter: %w", errno)
	}
	return int(r), nil
}
