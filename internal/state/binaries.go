package state

// The host binaries devbox installs in one directory, which find each
// other there (docs/architecture.md): the front users type, the full
// binary it hands other commands to, which is also an image sandbox's
// supervisor, and the supervisor of a host-view sandbox, which links no
// image store.
const (
	FrontName      = "devbox"
	EngineName     = "devbox-engine"
	SupervisorName = "devbox-supervisor"
)
