// Package config reads a project's devbox.toml and builds the one validated
// Config a command runs with: defaults, then the file, then command-line
// flags, each value parsed and checked by the same function whichever layer
// it comes from. Bad input is normal input: every problem in the file is
// reported as devbox.toml:LINE:COL with the valid choices, and a mistyped key
// gets the closest valid key as a suggestion.
//
// It runs on the host, in the client, before the sandbox is started; nothing
// here forks or touches namespaces.
package config
