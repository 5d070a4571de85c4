package seccomp

// The strict profile's extra filter. It is installed by each strict
// session's first process (internal/child/session.go) on top of the
// default filter that init holds: the kernel runs both and the stricter
// verdict wins, so this filter lists only what strict adds and allows the
// rest. It cannot go on init itself, whose spawning thread must still
// create the nested user namespace of user = "self" sessions.

import (
	"fmt"

	bpfgen "github.com/elastic/go-seccomp-bpf"
	"github.com/elastic/go-seccomp-bpf/arch"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// strictDenied fail with EPERM in strict sessions.
var strictDenied = []string{
	// No mounts: the sandbox's view (protected paths, hidden paths) is
	// built by init and stays as built, also in nested namespaces.
	"mount", "umount", "umount2", "pivot_root", "fsopen", "fsmount", "fspick",
	"fsconfig", "move_mount", "open_tree", "mount_setattr",
	// No joining namespaces.
	"setns",
	// No io_uring: its operations bypass the system call filter.
	"io_uring_setup", "io_uring_enter", "io_uring_register",
	// Reading or writing another process's memory without ptrace.
	"process_vm_readv", "process_vm_writev", "pidfd_getfd",
	// Already denied by the default filter; repeated so that strict holds
	// on its own.
	"keyctl", "add_key", "request_key", "bpf", "perf_event_open",
}

// ptrace requests that attach to a running process: a session may still
// trace the children it starts (PTRACE_TRACEME: gdb ./prog, strace ./prog).
var ptraceAttach = []uint64{unix.PTRACE_ATTACH, unix.PTRACE_SEIZE}

// CompileStrict builds the strict sessions' extra filter for the running
// architecture.
func CompileStrict() ([]unix.SockFilter, error) {
	insts, err := assembleStrict()
	if err != nil {
		return nil, err
	}
	return program(insts)
}

// assembleStrict: new user namespaces fail with EPERM through clone and
// unshare; clone3, whose flags sit in memory the filter cannot read,
// fails with ENOSYS, so glibc and Go fall back to clone.
func assembleStrict() ([]bpf.Instruction, error) {
	info, err := arch.GetInfo("")
	if err != nil {
		return nil, fmt.Errorf("build strict seccomp filter: %w", err)
	}
	newUser := bpfgen.ArgumentConditions{{Argument: 0, Operation: bpfgen.BitsSet, Value: unix.CLONE_NEWUSER}}
	conds := []bpfgen.NameWithConditions{
		{Name: "unshare", Conditions: newUser},
		{Name: "clone", Conditions: newUser},
	}
	for _, r := range ptraceAttach {
		conds = append(conds, bpfgen.NameWithConditions{Name: "ptrace", Conditions: bpfgen.ArgumentConditions{
			{Argument: 0, Operation: bpfgen.Equal, Value: r},
		}})
	}
	p := bpfgen.Policy{
		DefaultAction: bpfgen.ActionAllow,
		Syscalls: []bpfgen.SyscallGroup{
			{Names: known(info, []string{"clone3"}), Action: errnoAction(unix.ENOSYS)},
			{Names: known(info, strictDenied), NamesWithCondtions: conds, Action: errnoAction(unix.EPERM)},
		},
	}
	insts, err := p.Assemble()
	if err != nil {
		return nil, fmt.Errorf("build strict seccomp filter: %w", err)
	}
	return insts, nil
}
