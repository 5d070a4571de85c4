// Package fds keeps descriptors a process inherited by accident out of the
// sandbox. Every devbox process calls it first thing in its own role: the
// client, the supervisor (host side) and the child (inside). Only stdin,
// stdout, stderr and the descriptors devbox passes by design may reach
// init and the sessions; a shell's `exec 7<~/.ssh/id_ed25519` before
// 'devbox run' must not.
package fds

import "golang.org/x/sys/unix"

// CloseOnExecFrom marks every descriptor from first up close-on-exec: the
// process keeps using those it knows, and none of them survives its next
// exec unless handed on explicitly (exec.Cmd.ExtraFiles, SCM_RIGHTS).
// Marking instead of closing leaves alone any the Go runtime opened.
func CloseOnExecFrom(first int) {
	// Linux 5.11+; on an older kernel the descriptors stay as they came.
	unix.CloseRange(uint(first), ^uint(0), unix.CLOSE_RANGE_CLOEXEC)
}
