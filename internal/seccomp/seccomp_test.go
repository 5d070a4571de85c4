package seccomp

import (
	"encoding/binary"
	"testing"

	"github.com/elastic/go-seccomp-bpf/arch"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

const (
	retAllow = unix.SECCOMP_RET_ALLOW
	retEPERM = unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)
	retENOSY = unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)
	retEINVL = unix.SECCOMP_RET_ERRNO | uint32(unix.EINVAL)
)

// call is one system call as the filter sees it (struct seccomp_data).
type call struct {
	name string
	nr   int // used when name is empty
	arch uint32
	args [6]uint64
}

// data lays out seccomp_data for x/net/bpf's VM, which loads words big-endian:
// each 32-bit word is stored big-endian at its native offset, and 64-bit
// arguments keep the native order of their halves.
func (c call) data(t *testing.T, info *arch.Info) []byte {
	nr := c.nr
	if c.name != "" {
		n, ok := info.SyscallNames[c.name]
		if !ok {
			t.Fatalf("no system call %q on %s", c.name, info.Name)
		}
		nr = n
	}
	a := c.arch
	if a == 0 {
		a = uint32(info.ID)
	}
	b := make([]byte, 64)
	binary.BigEndian.PutUint32(b[0:], uint32(nr))
	binary.BigEndian.PutUint32(b[4:], a)
	for i, v := range c.args {
		lo, hi := 16+8*i, 16+8*i+4
		if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 { // big-endian host
			lo, hi = hi, lo
		}
		binary.BigEndian.PutUint32(b[lo:], uint32(v))
		binary.BigEndian.PutUint32(b[hi:], uint32(v>>32))
	}
	return b
}

func TestDefaultProfileDecisions(t *testing.T) {
	vm, info := filterVM(t, assemble)
	tests := []verdictCase{
		{"read", call{name: "read"}, retAllow},
		{"execve", call{name: "execve"}, retAllow},
		{"clone3 (glibc's fork)", call{name: "clone3"}, retAllow},
		{"unshare: nested user namespaces", call{name: "unshare", args: [6]uint64{unix.CLONE_NEWUSER}}, retAllow},
		{"mount: nested sandboxes", call{name: "mount"}, retAllow},
		{"pivot_root: nested sandboxes", call{name: "pivot_root"}, retAllow},
		{"sethostname: nested sandboxes", call{name: "sethostname"}, retAllow},
		{"ptrace: gdb, strace", call{name: "ptrace"}, retAllow},
		{"chroot", call{name: "chroot"}, retAllow},
		{"keyctl", call{name: "keyctl", args: [6]uint64{unix.KEYCTL_JOIN_SESSION_KEYRING}}, retEPERM},
		{"add_key", call{name: "add_key"}, retEPERM},
		{"request_key", call{name: "request_key"}, retEPERM},
		{"bpf", call{name: "bpf"}, retEPERM},
		{"perf_event_open", call{name: "perf_event_open"}, retEPERM},
		{"userfaultfd", call{name: "userfaultfd"}, retEPERM},
		{"kexec_load", call{name: "kexec_load"}, retEPERM},
		{"init_module", call{name: "init_module"}, retEPERM},
		{"open_by_handle_at", call{name: "open_by_handle_at"}, retEPERM},
		{"kcmp", call{name: "kcmp"}, retEPERM},
		{"settimeofday", call{name: "settimeofday"}, retEPERM},
		{"swapon", call{name: "swapon"}, retEPERM},
		{"vmsplice", call{name: "vmsplice"}, retEPERM},
		{"personality PER_LINUX", call{name: "personality", args: [6]uint64{0}}, retAllow},
		{"personality query", call{name: "personality", args: [6]uint64{0xffffffff}}, retAllow},
		{"personality ADDR_NO_RANDOMIZE", call{name: "personality", args: [6]uint64{0x0040000}}, retENOSY},
		{"personality high bits", call{name: "personality", args: [6]uint64{1 << 32}}, retENOSY},
		{"socket AF_INET", call{name: "socket", args: [6]uint64{unix.AF_INET, unix.SOCK_STREAM, 0}}, retAllow},
		{"socket netlink route", call{name: "socket", args: [6]uint64{afNetlink, unix.SOCK_RAW, unix.NETLINK_ROUTE}}, retAllow},
		{"socket netlink audit", call{name: "socket", args: [6]uint64{afNetlink, unix.SOCK_RAW, netlinkAudit}}, retEINVL},
		{"socket protocol 9, not netlink", call{name: "socket", args: [6]uint64{unix.AF_INET, unix.SOCK_RAW, 9}}, retAllow},
		{"number past the table", call{nr: 1023}, retENOSY},
		{"another architecture", call{name: "read", arch: 0x40000003 /* AUDIT_ARCH_I386 */}, retENOSY},
	}
	if info.Name == "amd64" {
		tests = append(tests, verdictCase{"x32 ABI", call{nr: 0x40000000}, retENOSY})
	}
	checkVerdicts(t, vm, info, tests)
}

// TestProfileNamesExist catches a misspelt name, which known() would
// otherwise skip silently: every name must be a system call on at least
// one architecture the library knows.
func TestProfileNamesExist(t *testing.T) {
	tables := knownTables()
	seen := map[string]bool{}
	for _, list := range [][]string{allowed, deniedEPERM} {
		for _, n := range list {
			if seen[n] {
				t.Errorf("%s is listed twice", n)
			}
			seen[n] = true
			if !inAny(tables, n) && !otherArch[n] {
				t.Errorf("%s is no system call on %d architectures", n, len(tables))
			}
		}
	}
}

// otherArch are Podman's names for architectures the library has no
// table for (ppc64le, s390x, riscv64, mips) or that Linux retired.
var otherArch = map[string]bool{
	"swapcontext": true, "s390_pci_mmio_read": true, "s390_pci_mmio_write": true,
	"s390_runtime_instr": true, "riscv_flush_icache": true, "sync_file_range2": true,
	"syscall": true, // mips
}

// verdictCase is one system call and the filter's expected answer.
type verdictCase struct {
	desc string
	call call
	want uint32
}

// checkVerdicts runs each case through the filter loaded in vm.
func checkVerdicts(t *testing.T, vm *bpf.VM, info *arch.Info, tests []verdictCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			got, err := vm.Run(tt.call.data(t, info))
			if err != nil {
				t.Fatal(err)
			}
			if uint32(got) != tt.want {
				t.Errorf("verdict %#x, want %#x", uint32(got), tt.want)
			}
		})
	}
}

// filterVM loads the filter assemble makes into the BPF VM, with this
// architecture's syscall table; no table skips the test.
func filterVM(t *testing.T, assemble func() ([]bpf.Instruction, error)) (*bpf.VM, *arch.Info) {
	t.Helper()
	info, err := arch.GetInfo("")
	if err != nil {
		t.Skipf("no syscall table for this architecture: %v", err)
	}
	insts, err := assemble()
	if err != nil {
		t.Fatal(err)
	}
	vm, err := bpf.NewVM(insts)
	if err != nil {
		t.Fatalf("load filter into the BPF VM: %v", err)
	}
	return vm, info
}

// knownTables are the syscall tables of the architectures the library
// knows.
func knownTables() []*arch.Info {
	var tables []*arch.Info
	for _, a := range []string{"amd64", "386", "arm64", "arm"} {
		if info, err := arch.GetInfo(a); err == nil {
			tables = append(tables, info)
		}
	}
	return tables
}

func inAny(tables []*arch.Info, name string) bool {
	for _, info := range tables {
		if _, ok := info.SyscallNames[name]; ok {
			return true
		}
	}
	return false
}

// BenchmarkCompile is the cost init pays once per sandbox start.
func BenchmarkCompile(b *testing.B) {
	for b.Loop() {
		if _, err := Compile(); err != nil {
			b.Fatal(err)
		}
	}
}
