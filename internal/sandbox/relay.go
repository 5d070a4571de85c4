package sandbox

// Client side: the terminal relay of a session without -t. A terminal fd
// handed into the sandbox would let any process there (one left in the
// background, say) read the user's keystrokes long after the session, so
// stdio fds that are a terminal get a pty of the sandbox's own instead, and
// this client copies between the two while the session runs. Output keeps
// isatty, colours and the window size; the user's own terminal keeps its
// line editing, echo and job control, as with any host program.

import (
	"errors"
	"os"
	"os/signal"
	"slices"
	"sync"

	"github.com/devbox-dev/devbox/internal/proto"
	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

// terminalFDs lists the stdio fds that are a terminal.
func terminalFDs() []int {
	var out []int
	for fd := 0; fd <= 2; fd++ {
		if term.IsTerminal(fd) {
			out = append(out, fd)
		}
	}
	return out
}

// passedFDs are the stdio fds that travel to the session as they are.
func passedFDs(relay []int) []int {
	var out []int
	for fd := 0; fd <= 2; fd++ {
		if !slices.Contains(relay, fd) {
			out = append(out, fd)
		}
	}
	return out
}

// masterFor is where awaitStarted stores the relay pty's master, or nil
// when nothing is relayed.
func masterFor(req proto.Spawn, master **os.File) **os.File {
	if len(req.Relay) == 0 {
		return nil
	}
	return master
}

// relay copies between the client's terminal and a relay pty master.
type relay struct {
	master *os.File
	out    chan struct{} // closed when the master has no more output
	stopIn func()
	resize func()
}

// startRelay copies the master's output to the relayed output fd (stdout,
// else stderr, else the stdin terminal) and, when stdin is relayed, stdin
// to the master; and follows the terminal's size.
func startRelay(master *os.File, fds []int) *relay {
	r := &relay{master: master, out: make(chan struct{}), stopIn: func() {}}
	to := fds[0]
	for _, fd := range []int{1, 2} {
		if slices.Contains(fds, fd) {
			to = fd
			break
		}
	}
	go func() {
		copyOut(to, master)
		close(r.out)
	}()
	if slices.Contains(fds, 0) {
		r.stopIn = relayInput(master)
	}
	r.resize = followResize(master)
	return r
}

// stop ends the relay once the session has exited: no more input is read
// from the user's terminal, and the output the session wrote is drained.
// Closing the master (the caller's) then leaves whatever still holds the
// pty's other end (a background process) with a terminal that is gone.
func (r *relay) stop() {
	r.stopIn()
	r.resize()
	drain(r.master, r.out)
}

// copyOut copies the master to fd until the pty's other end is closed (EIO).
func copyOut(fd int, master *os.File) {
	buf := make([]byte, 32*1024)
	for {
		n, err := master.Read(buf)
		if n > 0 && writeAll(fd, buf[:n]) != nil {
			return
		}
		if err != nil {
			return
		}
	}
}

func writeAll(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := unix.Write(fd, b)
		if errors.Is(err, unix.EINTR) || errors.Is(err, unix.EAGAIN) {
			continue
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// relayInput copies the user's terminal (stdin) to the master until the
// returned stop is called. It waits in poll, not read, so that after stop
// no keystroke is taken from the user's shell. Reading the terminal from
// the background (devbox run ... &) would stop this client with SIGTTIN
// although the session may never read: SIGTTIN is ignored instead, the
// read fails with EIO, and the relay waits for SIGCONT (fg).
func relayInput(master *os.File) func() {
	cancelR, cancelW, err := os.Pipe()
	if err != nil {
		return func() {}
	}
	signal.Ignore(unix.SIGTTIN)
	cont := make(chan os.Signal, 1)
	signal.Notify(cont, unix.SIGCONT)
	done := make(chan struct{})
	go func() {
		defer close(done)
		copyIn(master, int(cancelR.Fd()), cont)
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			cancelW.Close()
			<-done
			cancelR.Close()
			signal.Stop(cont)
			signal.Reset(unix.SIGTTIN)
		})
	}
}

// copyIn is relayInput's loop. A chunk that does not end a line (^D after
// some text, or a terminal in raw mode) is pushed with VEOF, as the user's
// terminal did; a read of 0 (^D) is passed on as end-of-file.
func copyIn(master *os.File, cancel int, cont chan os.Signal) {
	buf := make([]byte, 4096)
	for {
		fds := []unix.PollFd{{Fd: 0, Events: unix.POLLIN}, {Fd: int32(cancel), Events: unix.POLLIN}}
		if _, err := unix.Poll(fds, -1); err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return
		}
		if fds[1].Revents != 0 {
			return
		}
		n, err := unix.Read(0, buf)
		switch {
		case errors.Is(err, unix.EINTR) || errors.Is(err, unix.EAGAIN):
			continue
		case errors.Is(err, unix.EIO): // in the background: wait for fg
			if !waitCont(cont, cancel) {
				return
			}
			continue
		case err != nil:
			return
		}
		chunk := buf[:n]
		if n == 0 || chunk[n-1] != '\n' {
			chunk = append(chunk, proto.RelayEOF)
		}
		if _, err := master.Write(chunk); err != nil {
			return
		}
		if n == 0 && fds[0].Revents&unix.POLLHUP != 0 {
			return // the terminal hung up: every read is 0 from now on
		}
	}
}

// waitCont waits for SIGCONT; false when cancel became readable first.
func waitCont(cont chan os.Signal, cancel int) bool {
	stop := make(chan struct{})
	go func() {
		fds := []unix.PollFd{{Fd: int32(cancel), Events: unix.POLLIN}}
		for {
			if _, err := unix.Poll(fds, -1); !errors.Is(err, unix.EINTR) {
				break
			}
		}
		close(stop)
	}()
	select {
	case <-cont:
		return true
	case <-stop:
		return false
	}
}
