package seccomp

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestStrictFilterDecisions(t *testing.T) {
	vm, info := filterVM(t, assembleStrict)
	tests := []verdictCase{
		{"read: the default filter decides", call{name: "read"}, retAllow},
		{"execve", call{name: "execve"}, retAllow},
		{"fork through clone", call{name: "clone", args: [6]uint64{17 /* SIGCHLD */}}, retAllow},
		{"thread through clone", call{name: "clone", args: [6]uint64{unix.CLONE_VM | unix.CLONE_THREAD | unix.CLONE_SIGHAND}}, retAllow},
		{"clone with a new user namespace", call{name: "clone", args: [6]uint64{unix.CLONE_NEWUSER | 17 /* SIGCHLD */}}, retEPERM},
		{"clone3: flags unreadable", call{name: "clone3"}, retENOSY},
		{"unshare user namespace", call{name: "unshare", args: [6]uint64{unix.CLONE_NEWUSER | unix.CLONE_NEWNS}}, retEPERM},
		{"unshare files", call{name: "unshare", args: [6]uint64{unix.CLONE_FILES}}, retAllow},
		{"mount", call{name: "mount"}, retEPERM},
		{"umount2", call{name: "umount2"}, retEPERM},
		{"fsopen", call{name: "fsopen"}, retEPERM},
		{"open_tree", call{name: "open_tree"}, retEPERM},
		{"pivot_root", call{name: "pivot_root"}, retEPERM},
		{"setns", call{name: "setns"}, retEPERM},
		{"io_uring_setup", call{name: "io_uring_setup"}, retEPERM},
		{"keyctl", call{name: "keyctl"}, retEPERM},
		{"bpf", call{name: "bpf"}, retEPERM},
		{"perf_event_open", call{name: "perf_event_open"}, retEPERM},
		{"ptrace attach", call{name: "ptrace", args: [6]uint64{unix.PTRACE_ATTACH, 1}}, retEPERM},
		{"ptrace seize", call{name: "ptrace", args: [6]uint64{unix.PTRACE_SEIZE, 1}}, retEPERM},
		{"ptrace traceme: gdb ./prog", call{name: "ptrace", args: [6]uint64{unix.PTRACE_TRACEME}}, retAllow},
		{"ptrace peek of a traced child", call{name: "ptrace", args: [6]uint64{unix.PTRACE_PEEKDATA, 5}}, retAllow},
		{"process_vm_readv", call{name: "process_vm_readv"}, retEPERM},
	}
	checkVerdicts(t, vm, info, tests)
}

func TestStrictNamesExist(t *testing.T) {
	tables := knownTables()
	for _, n := range strictDenied {
		if !inAny(tables, n) {
			t.Errorf("%s is no system call on %d architectures", n, len(tables))
		}
	}
}
