package child

import (
	"fmt"

	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/seccomp/prebuilt"
	"golang.org/x/sys/unix"
)

// sendReady reports the sandbox built. A strict sandbox's Ready carries
// the listening socket of devbox's proxy: the child creates it on
// 127.0.0.1:proto.ProxyPort in the sandbox's network namespace, which has
// no route out, and the supervisor accepts on it from the host side. So
// the proxy needs no process inside and no bridge: each connection a
// session makes to the port is a socket the supervisor holds, and the
// supervisor alone dials out.
//
// It carries the connect notifier's listener too (internal/seccomp,
// notify.go), which init installs on itself here, last, so that no setup
// step waits on it. Init keeps no copy: once the supervisor is gone, every
// notified connect fails (ENOSYS) instead of waiting for an answer.
func sendReady(parent *proto.Conn, spec proto.Spec, ready proto.Ready) error {
	if spec.Security != proto.SecurityStrict {
		return parent.Send(ready)
	}
	fd, err := proxyListener()
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	fds := []int{fd}
	if nfd, err := installNotifier(); err != nil {
		ready.Notices = append(ready.Notices, fmt.Sprintf("%v: connections the kernel refuses outside the proxy leave no denial record", err))
	} else {
		defer unix.Close(nfd)
		fds = append(fds, nfd)
	}
	return parent.Send(ready, fds...)
}

// installNotifier installs the connect notifier on all of init's threads
// and returns its listener.
func installNotifier() (int, error) {
	f, _, err := prebuilt.Notify()
	if err != nil {
		return -1, err
	}
	return f.InstallListener()
}

func proxyListener() (int, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("create proxy socket: %w", err)
	}
	addr := &unix.SockaddrInet4{Port: proto.ProxyPort, Addr: [4]byte{127, 0, 0, 1}}
	if err := unix.Bind(fd, addr); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("bind proxy socket to 127.0.0.1:%d: %w", proto.ProxyPort, err)
	}
	if err := unix.Listen(fd, 128); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("listen on proxy socket: %w", err)
	}
	return fd, nil
}
