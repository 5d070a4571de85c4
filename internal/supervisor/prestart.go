package supervisor

// The child started before the spec. A supervisor started early (a run
// --rm's, proto.SuperviseOwnLog) waits for its spec for as long as its
// client takes to start and load the config; the child's clone, its
// exec and runtime start, and newuidmap and newgidmap (a third of a cold
// start) depend on none of it. So such a supervisor starts the child
// first and reads the spec meanwhile: the child says Hello, its maps are
// written, and it waits for IDMapped, which only the spec's start sends.
//
// The child is started as a run --rm's usually is: a network namespace
// of its own, the launch session as its fd 6, the ids planned for this
// process's user, and no cgroup of its own (a delegated group is named
// after the sandbox, so a host that delegates one gets no prestart). A
// spec that asks for anything else (--network host, say) has it killed
// and reaped before the start clones the child it needs; nothing the
// child did is seen by anyone. A supervisor whose client gives up ends
// it the same way (SuperviseMain).

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// prestartChild starts the child for a run --rm's usual spec, where the
// start can use one made before the spec. A failed start leaves nothing
// behind: the start clones its child as usual then, and reports.
func (s *supervisor) prestartChild() {
	if s.pre.cgroupErr == nil || s.pre.planErr != nil {
		return
	}
	launch, err := dupLaunch()
	if err != nil {
		return
	}
	s.plan = s.pre.plan
	s.launch = launch // startChild hands it on and closes this copy
	s.prestartNetNS = true
	if err := s.startChild(); err != nil {
		s.cmd, s.prestartNetNS = nil, false
		return
	}
	s.prestarted = true
}

// dupLaunch is a copy of the launch session's connection (FDLaunch) for
// a prestarted child: the supervisor keeps FDLaunch until the spec says
// whether the child it starts can be that one.
func dupLaunch() (*os.File, error) {
	fd, err := unix.FcntlInt(FDLaunch, unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("copy launch session: %w", err)
	}
	return os.NewFile(uintptr(fd), "launch-session"), nil
}

// netNS reports whether the child gets a network namespace: as the spec
// says, or, before the spec, as a run --rm's usually does.
func (s *supervisor) netNS() bool {
	if s.prestartNetNS {
		return true
	}
	return s.spec.Network.NetNS()
}

// startOrAdoptChild is the start's child: the prestarted one where it is
// the child the spec asks for, else a new one.
func (s *supervisor) startOrAdoptChild() error {
	if s.prestarted {
		if s.prestartFits() {
			s.closeLaunch() // the child has its copy
			return nil
		}
		s.discardPrestarted()
	}
	return s.startChild()
}

// prestartFits reports whether the prestarted child is the one the spec
// asks for: the same clone flags and fds, the same id plan.
func (s *supervisor) prestartFits() bool {
	return s.spec.Network.NetNS() && s.spec.LaunchSession && s.cgroupFD == nil &&
		s.spec.UID == s.pre.uid && s.spec.GID == s.pre.gid && s.spec.User == s.pre.user
}

// discardPrestarted kills and reaps the prestarted child and waits for
// its id map helpers, before the start clones another.
func (s *supervisor) discardPrestarted() {
	s.cmd.Process.Kill()
	<-s.exited
	<-s.mapped
	s.parent.Close()
	s.cmd, s.parent, s.prestarted, s.prestartNetNS = nil, nil, false, false
}
