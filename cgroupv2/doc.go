// Package cgroupv2 finds the cgroup v2 subtree delegated to the user, makes a
// group per sandbox in it, writes its limits and reads its statistics. It
// runs on the host side (the supervisor creates and removes the group, the
// client updates limits and reads stats), never inside the namespaces.
//
// The model is systemd's Delegate=yes: the user owns a subtree, may enable
// controllers in it and create groups below it. The kernel's
// no-internal-processes rule shapes the layout: controllers can be enabled
// only in a group without processes of its own, so the sandbox's group is a
// new leaf under the nearest delegated ancestor of the caller's group, not a
// child of the caller's own group (a shell lives there).
//
// Parsers work on []byte, separate from the file reads, so recorded files
// from real hosts (testdata/) test them.
package cgroupv2
