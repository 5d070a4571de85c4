package strict

// Landlock: what a strict session may write, connect to and signal. The
// rules are built in the session stage from the Policy alone (a fixed set
// of paths, none read from the project), so a join costs the same few
// system calls in any project.

import (
	"fmt"
	"strings"

	"github.com/landlock-lsm/go-landlock/landlock"
	ll "github.com/landlock-lsm/go-landlock/landlock/syscall"
	"golang.org/x/sys/unix"
)

// FullABI is the Landlock ABI that enforces everything the strict profile
// asks of Landlock: ABI 6 scopes abstract unix sockets and signals.
const FullABI = 6

// handledFS are the filesystem rights strict sessions are limited in: all
// of ABI 8's. LANDLOCK_ACCESS_FS_RESOLVE_UNIX (ABI 9) is left out: the
// sockets a sandbox is given (the ssh agent's, the display's) are bound
// from the host and must stay reachable.
const handledFS = landlock.AccessFSSet(ll.AccessFSExecute | ll.AccessFSWriteFile | ll.AccessFSReadFile |
	ll.AccessFSReadDir | ll.AccessFSRemoveDir | ll.AccessFSRemoveFile | ll.AccessFSMakeChar |
	ll.AccessFSMakeDir | ll.AccessFSMakeReg | ll.AccessFSMakeSock | ll.AccessFSMakeFifo |
	ll.AccessFSMakeBlock | ll.AccessFSMakeSym | ll.AccessFSRefer | ll.AccessFSTruncate | ll.AccessFSIoctlDev)

// readRights are what every path keeps: read, list, execute.
const readRights = landlock.AccessFSSet(ll.AccessFSExecute | ll.AccessFSReadFile | ll.AccessFSReadDir)

// terminals are the device nodes and directories sessions may write (and
// ioctl: a shell sets its terminal's modes). /dev/pts holds every
// session's pty, /dev/ptmx leads there.
var (
	terminalDirs  = []string{"/dev/pts"}
	terminalFiles = []string{"/dev/tty", "/dev/null"}
)

// ABI returns the kernel's Landlock ABI version; 0 where Landlock is
// missing, disabled at boot, or refused by an outer seccomp filter.
func ABI() int {
	v, _, errno := unix.Syscall(unix.SYS_LANDLOCK_CREATE_RULESET, 0, 0, unix.LANDLOCK_CREATE_RULESET_VERSION)
	if errno != 0 {
		return 0
	}
	return int(v)
}

// Unenforced lists, in words, what the strict profile asks of Landlock
// that a kernel with Landlock ABI abi cannot enforce; nil from FullABI on.
func Unenforced(abi int) []string {
	if abi < 2 {
		// go-landlock enforces nothing on ABI 1 when a rule allows renames
		// between directories, which the writable paths need.
		return []string{"the filesystem write limits (Landlock ABI 2)", "the limit of TCP connections to devbox's proxy (Landlock ABI 4)",
			"the scoping of abstract unix sockets and signals to the sessions (Landlock ABI 6)"}
	}
	var out []string
	if abi < 3 {
		out = append(out, "truncation of files outside the writable paths (Landlock ABI 3)")
	}
	if abi < 4 {
		out = append(out, "the limit of TCP connections to devbox's proxy (Landlock ABI 4)")
	}
	if abi < 5 {
		out = append(out, "the limit of ioctl on device files to the terminals (Landlock ABI 5)")
	}
	if abi < FullABI {
		out = append(out, "the scoping of abstract unix sockets and signals to the sessions (Landlock ABI 6)")
	}
	return out
}

// UnenforcedMessage is the one line that says what is not enforced, or ""
// when everything is.
func UnenforcedMessage(abi int) string {
	u := Unenforced(abi)
	if len(u) == 0 {
		return ""
	}
	return fmt.Sprintf("this kernel's Landlock ABI is %d (strict wants %d): not enforced: %s", abi, FullABI, strings.Join(u, "; "))
}

// landlockConfig is what the session's Landlock domain handles: the
// filesystem rights, TCP connect (not bind: servers inside still listen),
// and both scopes; BestEffort drops what the kernel lacks. From ABI 7 the
// kernel reports denials to the host's audit log also after the exec of
// the session's program (it stops at the first exec otherwise): that log
// is the only record of filesystem denials, since devbox, rootless,
// cannot read it.
func landlockConfig() landlock.Config {
	return landlock.Config{
		HandledAccessFS:  handledFS,
		HandledAccessNet: landlock.AccessNetSet(ll.AccessNetConnectTCP),
		Scoped:           landlock.ScopedSet(ll.ScopeAbstractUnixSocket | ll.ScopeSignal),
	}.EnableLoggingForSubprocesses().BestEffort()
}

// rules are the Landlock rules of p: everything readable, the writable
// paths and terminals writable, TCP connect to the proxy port only.
func (p Policy) rules() []landlock.Rule {
	rules := []landlock.Rule{
		landlock.PathAccess(readRights, "/"),
		landlock.RWDirs(p.Writable...).WithRefer().IgnoreIfMissing(),
		landlock.RWFiles(p.WritableFiles...).IgnoreIfMissing(),
		landlock.RWDirs(terminalDirs...).WithIoctlDev().IgnoreIfMissing(),
		landlock.RWFiles(terminalFiles...).WithIoctlDev().IgnoreIfMissing(),
	}
	if p.ProxyPort != 0 {
		rules = append(rules, landlock.ConnectTCP(p.ProxyPort))
	}
	return rules
}

// restrictLandlock puts the calling thread in a new Landlock domain. It
// must be the locked thread that then executes the program, with
// no_new_privs set: the domain, as no_new_privs, belongs to the thread,
// and the exec leaves the process only this one. Enforcing on every
// thread (go-landlock's Restrict) would stop the world twice for threads
// the exec discards.
func restrictLandlock(p Policy) error {
	fd, flags, err := landlockConfig().NewRulesetFD(p.rules()...)
	if err != nil {
		return fmt.Errorf("build landlock ruleset: %w", err)
	}
	if fd < 0 {
		return nil // no Landlock here: the start's notice said what that leaves
	}
	defer unix.Close(fd)
	if err := ll.LandlockRestrictSelf(fd, flags); err != nil {
		return fmt.Errorf("enforce landlock ruleset: %w", err)
	}
	return nil
}
