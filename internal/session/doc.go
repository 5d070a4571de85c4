// Package session is the client's side of a session that does not need
// the config's parser: the request's template and its build (template.go),
// the forwarded signals, the sandbox's short name, and the project's
// discovery. The full client (internal/sandbox) builds every request with
// it, and the fast join of cmd/devbox (fast.go), which links neither the
// config's parser nor the sandbox package, builds the same request from a
// join ticket (ticket.go).
//
// It runs on the host, in the client, before and while a session runs.
package session
