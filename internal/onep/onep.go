// Package onep gives the process that imports it one P (GOMAXPROCS 1)
// from the first package init on. Only cmd/devbox imports it: the client
// of a fast join or a fast start, on the host, as the invoking user. Every
// other command line execs devbox-front, whose runtime starts afresh with
// the default.
//
// A client spends most of its life in a blocking recvmsg, waiting for its
// session's end. With a second, idle P the runtime leaves the waiting
// thread its P for up to 10 ms, and its monitor thread (sysmon) looks
// every 20 µs meanwhile, each look a context switch that costs 20-50 µs of
// CPU on a virtual machine, beside the sandbox's work on the same CPUs;
// with one P the monitor takes the P back at its first look and sleeps
// until the call returns. A second P also gets threads of its own made
// for it, spinning for work that the first P's goroutines would have run
// (the collector's first goroutines, package inits' goroutines), and
// every thread costs its creation and its end. The supervisor, init and
// the spawner run with one P for the same reasons (proto.IdleRuntime).
//
// Not through the GOMAXPROCS variable, which the client's sessions would
// inherit. Here, in an init of a package that imports only the runtime,
// the setting comes before almost every other package's init: a join took
// 0.92× of the time it took with the same call first thing in main (300
// alternating runs), and within 1% of a client started with GOMAXPROCS=1.
package onep

import "runtime"

func init() { runtime.GOMAXPROCS(1) }
