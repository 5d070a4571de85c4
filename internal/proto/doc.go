// Package proto defines the messages devbox processes exchange and how they
// are framed. It runs on both sides of the fork: the supervisor and the
// sandbox child share one socketpair, and clients talk to the sandbox's init
// over the sandbox socket.
//
// Every message is one frame: a 4-byte big-endian length followed by that many
// bytes of JSON, {"type": "...", ...}. Frames travel one per packet on
// SOCK_SEQPACKET sockets, so file descriptors (SCM_RIGHTS) attach to exactly
// one message. Decode reads with io.ReadFull, so a short packet is an error,
// never a partial message.
//
// # The launch spec
//
// Spec is the one contract from the client to the supervisor and on to the
// child; nothing else crosses those process boundaries at start:
//
//	client (devbox run/enter)    flags + devbox.toml -> config.Config (validated once)
//	  internal/sandbox.launchSpec    Config + user + home + resolved image -> Spec
//	  Spec as JSON on the supervisor's fd 5 --------> supervisor (internal/supervisor)
//	                                 sets SingleID, the image's writable layer
//	                                 uses UID/GID/User, Limits, Ports, Ephemeral
//	  NetReady{Spec} --------------------------------> child (internal/child, initproc)
//	                                 builds the root from it; init keeps it
//
// The client also records the config the sandbox started with
// (config.Record, config.json in the runtime dir); the one join check
// compares a later command's config with it (sandbox.checkJoin).
//
// Supervisor and child (socketpair, child end is fd 3 in the child):
//
//	supervisor (host)                      child (new user/mount/pid/... ns)
//	  start devbox-init (memfd copy)
//	  with CLONE_NEW*, ambient caps ------>
//	  newuidmap/newgidmap <pid>, started     exec, caps kept (as ambient ones
//	  right after the clone, beside the      if the maps are not written yet)
//	  child's exec
//	                          <------------  Hello
//	  (maps written)
//	  IDMapped  -------------------------->
//	  [no helper to attach (none, host):
//	  NetReady and NetAttached right here,
//	  queued for the child]
//	                                         now uid 0 with caps; ambient set cleared
//	                          <------------  UserNSReady
//	  port driver's socket paths
//	  NetReady{Spec, PortOpaque, Etc}
//	  + the sandbox socket's listener ---->
//	  network helper attaches (or none)      port driver's child side,
//	                                         mounts, hostname, pivot_root,
//	                                         the Etc files bound over /etc's
//	  NetAttached{Lease, Etc} ------------>
//	                                         interface address and route,
//	                                         the lease's Etc rewritten
//	                          <------------  Ready [strict: + the proxy's
//	                                         listener and the connect
//	                                         notifier's seccomp listener]
//	  state.json written
//	  Go ---------------------------------->
//	                                         serve the sandbox socket as PID 1
//	either side: Error{Msg, Hint}, then exit
//
// The fuse socket (a second socketpair, fd 5 in the child), open while the
// child builds its root, once per fuse-overlayfs mount (an image root or a
// review overlay where native overlay is unavailable):
//
//	supervisor                             child
//	                          <------------  FuseMount{Layer} + /dev/fuse fd
//	                                         (the FUSE file system is mounted)
//	  fuse-overlayfs on the fd, through
//	  internal/asroot (its own user and
//	  mount namespace, the host's pid ns)
//	  FuseServed, or Error --------------->
//
// Client and init (the sandbox socket, SO_PEERCRED checked by init):
//
//	client                                 init (PID 1 inside)
//	  Spawn{argv, env, cwd, tty} [+ stdio fds when no tty] -->
//	                          <--  Started{pid} [+ pty master fd when tty]
//	                               (not when Spawn says NoStarted)
//	  Signal{sig} (no tty: forwarded signals) -->
//	                          <--  Exit{code, signal}
//	  Info -->                <--  InfoReply{sessions, ...}
//	  Stop{grace} -->         <--  Stopping
//	  Hold -->                <--  Held  (not idle until the client closes)
//
// Client and supervisor (ctl.sock), to stop a sandbox:
//
//	client                                 supervisor
//	  AwaitStop -->                          (sent before Stop to init)
//	                                         init exits; ports, cgroup, layer,
//	                                         stubs removed; helpers killed;
//	                                         runtime dir renamed aside
//	                          <--  Stopped   then the dir is deleted, exit
//
// A launch session (Spec.LaunchSession, run --rm): the client's first
// session travels with the start, on a socketpair it made, and the ready
// pipe stays open for its end:
//
//	client                    supervisor              init
//	  Spawn on its end of the
//	  socketpair; the other
//	  end as fd 4 ----------->  fd 6 of the child ---->
//	                <-- Ready (ready pipe, kept open)
//	                                                   after Go: served as
//	                <------------------------------  Started ... Exit
//	                                                   the sandbox stops
//	                <-- Stopped (ready pipe)           (as for AwaitStop)
package proto
