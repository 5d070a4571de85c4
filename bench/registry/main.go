// Command registry serves an in-memory OCI registry on 127.0.0.1 for
// bench/bench.sh's image lines (pull, cold --image start). It prints
// "HOST:PORT" on stdout once it listens and serves until killed. It runs on
// the host, as the benchmarking user; nothing here touches a sandbox.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"

	"github.com/google/go-containerregistry/pkg/registry"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address (loopback only)")
	flag.Parse()
	if err := serve(*addr); err != nil {
		log.Fatalf("registry: %v", err)
	}
}

func serve(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("parse -addr: %w", err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("listen on %s: only loopback addresses are allowed", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	fmt.Fprintln(os.Stdout, ln.Addr().String())
	quiet := log.New(io.Discard, "", 0)
	return http.Serve(ln, registry.New(registry.Logger(quiet)))
}
