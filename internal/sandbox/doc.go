// Package sandbox orchestrates sandboxes from the host: the client side that
// finds, starts, joins, lists and stops them, and the supervisor, the host
// process that owns one running sandbox (its child, id maps, network helpers
// and runtime state). It knows no flags; cmd/devbox builds its Options.
package sandbox
