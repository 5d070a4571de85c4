// Package cli is devbox's command line: the cobra commands, their flags,
// and how errors become exit statuses. It runs in the client, the process
// the user started: in the front binary (cmd/devbox), which serves run and
// enter (joins, and starts of host-view sandboxes) and hands everything
// else to the full binary (front.go), and in that full binary
// (cmd/devbox-engine),
// which adds the commands that need the image store and registries.
package cli
