package slirpnet

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/devbox-dev/devbox/internal/proto"
)

// pasta's addresses mirror slirp4netns's, so the two drivers look alike
// from inside.
const (
	pastaAddr    = "10.0.2.100"
	pastaGateway = "10.0.2.2"
	pastaDNS     = "10.0.2.3"
)

// startPasta attaches pasta to childPID's network namespace. rootlesskit's
// pasta driver leaves pasta's namespace-to-host forwarding (-T/-U) at its
// default, "auto", which lets the sandbox reach every port the host listens
// on at 127.0.0.1; the default here must keep host loopback out, so devbox
// starts pasta itself with -T none -U none, and with --pid to know whom to
// end (pasta daemonizes).
func startPasta(opts Options, path string, childPID int) (proto.Lease, int, error) {
	pidFile := filepath.Join(opts.StateDir, "pasta.pid")
	cmd := exec.Command(path, pastaArgs(opts, childPID, pidFile)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return proto.Lease{}, 0, attachError(Pasta, fmt.Errorf("%v: %w: %s", cmd.Args, err, strings.TrimSpace(string(out))))
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return proto.Lease{}, 0, fmt.Errorf("read pasta pid: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return proto.Lease{}, 0, fmt.Errorf("read pasta pid: %w", err)
	}
	lease := proto.Lease{Dev: "tap0", Addr: pastaAddr + "/24", Gateway: pastaGateway, DNS: []string{pastaDNS}, MTU: MTU, ConfiguresInterface: true}
	return lease, pid, nil
}

func pastaArgs(opts Options, childPID int, pidFile string) []string {
	args := []string{
		"--stderr", "--ns-ifname=tap0", "--mtu=" + strconv.Itoa(MTU),
		"--config-net", "--address=" + pastaAddr, "--netmask=24",
		"--gateway=" + pastaGateway, "--dns-forward=" + pastaDNS, "--ipv4-only",
		// Published ports go through the builtin port driver.
		"--tcp-ports=none", "--udp-ports=none",
		// The sandbox's 127.0.0.1 is its own.
		"--tcp-ns=none", "--udp-ns=none",
		"--pid", pidFile,
	}
	if !opts.AllowHostLoopback {
		// Without --no-map-gw the gateway address reaches host loopback.
		args = append(args, "--no-map-gw")
	}
	return append(args, strconv.Itoa(childPID))
}
