// Package docs carries the reference pages devbox prints itself (devbox
// help config). It runs on the host, in the client.
package docs

import _ "embed"

// Config is docs/config.md, the devbox.toml reference.
//
//go:embed config.md
var Config string
