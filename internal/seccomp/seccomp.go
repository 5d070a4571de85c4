// Package seccomp is the source of the sandbox's system call filters: the
// default profile, the strict sessions' extra filter and the strict
// profile's connect notifier. On amd64 it runs at build time, not in a
// sandbox: `go generate ./internal/seccomp` assembles each filter and
// writes it as a Go table to internal/seccomp/prebuilt, which the sandbox
// child installs (init once, on all its threads, before it serves
// sessions, so every session inherits it). A test fails when the
// checked-in table differs from what this package assembles, so the
// profile and the table cannot drift apart. That keeps the library's
// syscall tables (0.36 ms of package init) and the assembly (0.2-0.6 ms)
// out of every sandbox start. The library assembles only for the
// architecture it runs on, so on other architectures prebuilt calls this
// package in the sandbox child, at each start, as before.
//
// The filter is generated in pure Go by github.com/elastic/go-seccomp-bpf:
// devbox builds with CGO_ENABLED=0, which rules out libseccomp-golang; the
// elastic library is maintained (Elastic's Beats and Endpoint load their
// filters with it), carries syscall tables generated from the kernel's
// (v6.15 in 1.6.0), checks the architecture and the x32 bit itself, and
// compares 64-bit arguments. gVisor's generator is better optimised but
// comes with the gVisor module. The kernel caches the decision of every
// system call whose verdict does not depend on its arguments (Linux 5.11+),
// so the linear program the library emits costs a lookup on the hot path.
//
// The profile itself is in profile.go; docs/security.md lists what it blocks.
package seccomp

import (
	"errors"
	"fmt"

	bpfgen "github.com/elastic/go-seccomp-bpf"
	"github.com/elastic/go-seccomp-bpf/arch"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// Linux socket constants the profile compares arguments against.
const (
	afNetlink    = 16 // AF_NETLINK
	netlinkAudit = 9  // NETLINK_AUDIT
)

// Personalities Podman allows: PER_LINUX, PER_LINUX32, UNAME26,
// UNAME26|PER_LINUX32, and 0xffffffff (query only).
var personalities = []uint64{0x0, 0x8, 0x20000, 0x20008, 0xffffffff}

// Compile builds the default profile for the running architecture, in the
// kernel's form (prebuilt.New makes it a Filter to install).
func Compile() ([]unix.SockFilter, error) {
	insts, err := assemble()
	if err != nil {
		return nil, err
	}
	return program(insts)
}

// program assembles instructions into the kernel's form.
func program(insts []bpf.Instruction) ([]unix.SockFilter, error) {
	raw, err := bpf.Assemble(insts)
	if err != nil {
		return nil, fmt.Errorf("assemble seccomp filter: %w", err)
	}
	prog := make([]unix.SockFilter, len(raw))
	for i, r := range raw {
		prog[i] = unix.SockFilter{Code: r.Op, Jt: r.Jt, Jf: r.Jf, K: r.K}
	}
	return prog, nil
}

// assemble turns the profile into BPF for the running architecture.
func assemble() ([]bpf.Instruction, error) {
	info, err := arch.GetInfo("")
	if err != nil {
		return nil, fmt.Errorf("build seccomp filter: %w", err)
	}
	p := bpfgen.Policy{
		// The library only accepts plain actions as the default; it is
		// EPERM here and rewritten to ENOSYS below.
		DefaultAction: bpfgen.ActionErrno,
		Syscalls: []bpfgen.SyscallGroup{
			{NamesWithCondtions: auditSocket(), Action: errnoAction(unix.EINVAL)},
			{Names: known(info, deniedEPERM), Action: errnoAction(unix.EPERM)},
			{Names: known(info, allowed), NamesWithCondtions: personality(), Action: bpfgen.ActionAllow},
		},
	}
	insts, err := p.Assemble()
	if err != nil {
		return nil, fmt.Errorf("build seccomp filter: %w", err)
	}
	return withENOSYSDefault(insts)
}

// withENOSYSDefault makes unknown system calls, and those of another ABI,
// fail with ENOSYS, as Podman's and Docker's profiles do: programs probe a
// newer call and fall back on ENOSYS, but treat EPERM as a real failure.
// The library ends the program with the default action, which both the
// last group's fall-through and the architecture check jump to.
func withENOSYSDefault(insts []bpf.Instruction) ([]bpf.Instruction, error) {
	last := len(insts) - 1
	want := bpf.RetConstant{Val: uint32(bpfgen.ActionErrno) | uint32(unix.EPERM)}
	if last < 0 || insts[last] != want {
		return nil, errors.New("build seccomp filter: the generated program does not end with its default action")
	}
	insts[last] = bpf.RetConstant{Val: uint32(errnoAction(unix.ENOSYS))}
	return insts, nil
}

func errnoAction(e unix.Errno) bpfgen.Action {
	return bpfgen.ActionErrno | bpfgen.Action(e)
}

// known keeps the names the architecture has (see allowed).
func known(info *arch.Info, names []string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		if _, ok := info.SyscallNames[n]; ok {
			out = append(out, n)
		}
	}
	return out
}

// auditSocket matches socket(AF_NETLINK, *, NETLINK_AUDIT): Podman answers
// EINVAL without CAP_AUDIT_WRITE, so login tools carry on without audit.
func auditSocket() []bpfgen.NameWithConditions {
	return []bpfgen.NameWithConditions{{Name: "socket", Conditions: bpfgen.ArgumentConditions{
		{Argument: 0, Operation: bpfgen.Equal, Value: afNetlink},
		{Argument: 2, Operation: bpfgen.Equal, Value: netlinkAudit},
	}}}
}

// personality allows only Podman's values; ADDR_NO_RANDOMIZE and the
// other flags fall through to ENOSYS.
func personality() []bpfgen.NameWithConditions {
	out := make([]bpfgen.NameWithConditions, len(personalities))
	for i, v := range personalities {
		out[i] = bpfgen.NameWithConditions{Name: "personality", Conditions: bpfgen.ArgumentConditions{
			{Argument: 0, Operation: bpfgen.Equal, Value: v},
		}}
	}
	return out
}
