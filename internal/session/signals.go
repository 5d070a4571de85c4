package session

// The client's forwarded signals (the client side). signal.Notify costs a
// round trip to the Go runtime's signal thread for every signal it
// enables, and signal.Stop another for every one it disables: for the six
// signals a session without a terminal forwards, 24 thread switches, which
// measured 1-3 ms of a join on this machine's two vCPUs (80 futex calls
// per join, 15 without them). So the client enables them once, on a
// goroutine of its own that the front starts before it reads its config
// (WatchSignals: the switches then run beside the config phase, on a CPU
// that is idle until the session starts), and never disables them. Each
// signal goes where the client would have sent it before: to the session
// being started or running (ArmSignals), or, with none, nowhere: the
// client ends by it, as it did without a watch.

import (
	"os"
	"os/signal"
	"sync"

	"golang.org/x/sys/unix"
)

// forwarded are the signals a session without a terminal receives from the
// client; with a terminal, the line discipline delivers them.
var Forwarded = []os.Signal{unix.SIGINT, unix.SIGTERM, unix.SIGHUP, unix.SIGQUIT, unix.SIGUSR1, unix.SIGUSR2}

var (
	watchOnce sync.Once
	// watching is closed once the signals are enabled.
	watching = make(chan struct{})
	routeMu  sync.Mutex
	// route gets the signals while a session is armed; nil ends the client.
	route chan os.Signal
	// forward, once set by ForwardTo, takes route's signals itself.
	forward func(os.Signal)
)

// WatchSignals starts enabling the forwarded signals, once, and returns at
// once; ArmSignals waits for it.
func WatchSignals() {
	watchOnce.Do(func() { go watchSignals() })
}

func watchSignals() {
	in := make(chan os.Signal, 8)
	signal.Notify(in, Forwarded...)
	close(watching)
	for s := range in {
		routeMu.Lock()
		to := route
		if forward != nil {
			forward(s) // under routeMu: after those ForwardTo drained
			routeMu.Unlock()
			continue
		}
		routeMu.Unlock()
		if to == nil {
			DieBy(s.(unix.Signal))
		}
		select {
		case to <- s:
		default: // as signal.Notify does with a full channel
		}
	}
}

// ArmSignals routes the forwarded signals to a new channel, buffered as
// signal.Notify's was, until disarm is called; after that, a signal ends
// the client again.
func ArmSignals() (sigs chan os.Signal, disarm func()) {
	WatchSignals()
	<-watching
	sigs = make(chan os.Signal, 8)
	routeMu.Lock()
	route = sigs
	routeMu.Unlock()
	return sigs, func() {
		routeMu.Lock()
		if route == sigs {
			route, forward = nil, nil
		}
		routeMu.Unlock()
	}
}

// ForwardTo hands the signals armed in sigs to send, from now on called
// by the watcher goroutine, those already waiting in sigs first: a
// session's client needs no goroutine of its own for them, whose start
// woke a second thread while the session started. Nothing changes once
// sigs is disarmed.
func ForwardTo(sigs chan os.Signal, send func(os.Signal)) {
	routeMu.Lock()
	defer routeMu.Unlock()
	if route != sigs {
		return
	}
	for {
		select {
		case s := <-sigs:
			send(s)
		default:
			forward = send
			return
		}
	}
}

// DieBy ends the client by sig, as the signal's default action would have
// without the watch.
func DieBy(sig unix.Signal) {
	signal.Reset(sig)
	unix.Kill(os.Getpid(), sig)
	select {} // the signal is on its way
}
