// Package wire is the part of devbox's protocol (internal/proto) that a
// session's client needs: the session messages (Spawn, Signal, Exit), the
// restricted JSON they are written in, the frame that carries them, and a
// blocking SEQPACKET connection. internal/proto builds every other message
// on it; cmd/devbox's fast join links it alone, without the supervisor's
// and the network's messages.
//
// It runs on both sides: the host's client, and init in the sandbox.
package wire

// Spawn asks init to start a session.
type Spawn struct {
	Argv []string `json:"argv,omitempty"`
	// Shell asks init to pick the shell: ShellHint if the root has it, else
	// bash, else sh. Login makes it a login shell.
	Shell     bool     `json:"shell,omitempty"`
	ShellHint string   `json:"shell_hint,omitempty"`
	Login     bool     `json:"login,omitempty"`
	Env       []string `json:"env"`
	Cwd       string   `json:"cwd"`
	// DefaultCwd is where the session starts when Cwd does not exist
	// inside (an image's WorkingDir); empty means /.
	DefaultCwd string `json:"default_cwd,omitempty"`
	// TTY asks for a terminal opened inside the sandbox's devpts; the master
	// comes back with Started. Without TTY, the client's stdin, stdout and
	// stderr travel with Spawn and the session uses them directly, except
	// those listed in Relay.
	TTY  bool   `json:"tty,omitempty"`
	Rows uint16 `json:"rows,omitempty"`
	Cols uint16 `json:"cols,omitempty"`
	// Relay lists the stdio fds (0, 1, 2) that are the client's terminal,
	// when TTY is false: the session must never get the user's terminal.
	// Init gives them the slave of one pty of the sandbox's own (not the
	// session's controlling terminal, set to pass bytes through) and
	// returns the master with Started; the client relays between it and
	// its terminal. Only the other stdio fds travel with Spawn, in order.
	Relay []int `json:"relay,omitempty"`
	// KeepID runs the session as the invoking user's own uid and gid
	// (user = "self"), in a user namespace nested in the sandbox's.
	KeepID *KeepID `json:"keep_id,omitempty"`
	// FilterPath drops the entries of PATH and DEVBOX_PATH that are not
	// directories inside: the host view passes the host's PATH as it is.
	FilterPath bool `json:"filter_path,omitempty"`
	// NoStarted tells init that the client waits for Exit alone: init
	// sends Started only with a descriptor (TTY, Relay) or when it asks
	// for none of this. A start that fails still answers Error. An init
	// that predates it ignores it and sends Started, which the client
	// then skips.
	NoStarted bool `json:"no_started,omitempty"`
	// Trace asks init for its phases of this session's start, in
	// Started's trace, also when init's own tracing is off: a traced join
	// into a sandbox started without --trace.
	Trace bool `json:"trace,omitempty"`
}

// KeepID is the host uid and gid a session keeps inside.
type KeepID struct {
	UID uint32 `json:"uid"`
	GID uint32 `json:"gid"`
}

// Signal forwards a signal to the session (no-tty sessions).
type Signal struct {
	Sig int `json:"sig"`
}

// Exit reports how the session ended.
type Exit struct {
	Code   int `json:"code"`
	Signal int `json:"signal,omitempty"`
	// OOMKilled is set when the OOM killer ended the session (the
	// sandbox's oom_kill count grew); MemoryMax is the limit then, -1 for
	// none.
	OOMKilled bool  `json:"oom_killed,omitempty"`
	MemoryMax int64 `json:"memory_max,omitempty"`
	// Stopped is set when the sandbox's stop ended the session.
	Stopped bool `json:"stopped,omitempty"`
}

func (Spawn) Kind() string  { return "Spawn" }
func (Signal) Kind() string { return "Signal" }
func (Exit) Kind() string   { return "Exit" }
