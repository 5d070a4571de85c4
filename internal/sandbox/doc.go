// Package sandbox is the client API for sandboxes: Ensure (find, start or
// join), Exec and Provision (sessions and setup steps), Stop, List, Remove,
// Ports and Stats. It runs in the client process, the devbox command the
// user typed; it starts the supervisor (internal/supervisor) as a detached
// process and then talks to it and to the sandbox's init over unix sockets.
// It knows no flags; cmd/devbox builds its Options.
package sandbox
