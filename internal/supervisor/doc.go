// Package supervisor is the host process that owns one running sandbox. It
// runs in the supervisor process only: a detached copy of devbox started by
// the client (internal/sandbox) with _DEVBOX_SUPERVISE set, its launch spec
// to come on a pipe on fd 5 and a ready pipe on fd 3. It starts the sandbox child in new namespaces from a
// sealed init binary (seal.go), maps its ids, creates its cgroup (cgroup.go),
// prepares an image root (image.go), attaches the network and serves port
// changes on the control socket (network.go), writes state.json, copies
// init's stderr into its log with control characters escaped (initlog.go),
// and then waits for init to exit and removes what the sandbox left.
//
// The client imports this package only for names both sides share (the
// environment variable, the control socket, RemoveTree); this package never
// imports the client.
package supervisor
