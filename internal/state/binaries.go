package state

// The client binaries devbox installs in one directory, which find each
// other there (docs/architecture.md): the front users type, and the full
// binary it hands other commands to, which is also every supervisor.
const (
	FrontName  = "devbox"
	EngineName = "devbox-engine"
)
