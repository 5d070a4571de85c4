// Package front is devbox's front: the part of the command line the front
// binary (cmd/devbox) serves itself. It runs in the client, the process the
// user started, before any fork: it parses `run` and `enter` with pflag
// alone (no cobra: a join links and initialises neither the command tree
// nor text/template), finds the project, loads its config and runs or
// joins the sandbox; every other command line, and any of run's or enter's
// that it cannot parse exactly as devbox-engine's cobra commands do (help,
// a bad flag), it hands to devbox-engine. internal/cli, in devbox-engine,
// builds the cobra commands run and enter on the same flags and code.
package front
