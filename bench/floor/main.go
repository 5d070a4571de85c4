// Command floor is the join floor of bench/bench.sh: the least a join can
// cost. "floor serve SOCK" listens on a unix SEQPACKET socket and, for each
// one-byte request, fork+execs true, waits for it and answers with one
// byte; "floor SOCK" is the client: it dials, sends, reads the answer and
// exits. A devbox join does the same plus its own work (config, the join
// check, the Spawn message, stdio passing), so hyperfine's time for the
// client is the floor the join median is compared with.
//
// It runs on the host only, as the benchmarking user.
package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
)

func main() {
	switch {
	case len(os.Args) == 3 && os.Args[1] == "serve":
		if err := serve(os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, "floor:", err)
			os.Exit(1)
		}
	case len(os.Args) == 2:
		if err := roundTrip(os.Args[1]); err != nil {
			fmt.Fprintln(os.Stderr, "floor:", err)
			os.Exit(1)
		}
	default:
		fmt.Fprintln(os.Stderr, "usage: floor serve SOCK | floor SOCK")
		os.Exit(2)
	}
}

func serve(path string) error {
	os.Remove(path)
	ln, err := net.ListenUnix("unixpacket", &net.UnixAddr{Name: path, Net: "unixpacket"})
	if err != nil {
		return fmt.Errorf("listen on %s: %w", path, err)
	}
	fmt.Println("ready")
	for {
		c, err := ln.AcceptUnix()
		if err != nil {
			return fmt.Errorf("accept: %w", err)
		}
		go answer(c)
	}
}

// answer runs true for one request, as init spawns a session.
func answer(c *net.UnixConn) {
	defer c.Close()
	var b [1]byte
	if _, err := c.Read(b[:]); err != nil {
		return
	}
	status := byte(0)
	if exec.Command("true").Run() != nil {
		status = 1
	}
	c.Write([]byte{status})
}

func roundTrip(path string) error {
	c, err := net.DialUnix("unixpacket", nil, &net.UnixAddr{Name: path, Net: "unixpacket"})
	if err != nil {
		return fmt.Errorf("dial %s: %w", path, err)
	}
	defer c.Close()
	if _, err := c.Write([]byte{1}); err != nil {
		return fmt.Errorf("send: %w", err)
	}
	var b [1]byte
	if _, err := c.Read(b[:]); err != nil {
		return fmt.Errorf("read answer: %w", err)
	}
	if b[0] != 0 {
		return fmt.Errorf("the server's true failed")
	}
	return nil
}
