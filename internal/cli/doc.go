// Package cli is devbox's command line: the cobra commands, their flags,
// help and completions. It runs in the client, the process the user
// started, in the full binary (cmd/devbox-engine), which adds the commands
// that need the image store and registries. run and enter, their flags and
// how errors become exit statuses are package front's, which the front
// binary (cmd/devbox) runs without cobra; here they get their cobra
// commands (runenter.go).
package cli
