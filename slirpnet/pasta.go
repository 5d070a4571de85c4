package slirpnet

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/devbox-dev/devbox/hint"
)

// pastaName names the pasta driver and its program.
const pastaName = "pasta"

// pasta's addresses mirror slirp4netns's, so the two drivers look alike
// from inside.
const (
	pastaAddr    = "10.0.2.100"
	pastaGateway = "10.0.2.2"
	pastaDNS     = "10.0.2.3"
)

// attachPasta starts pasta on childPID's namespace, with a watcher that
// ends it with the supervisor (pasta daemonizes).
func (n *Network) attachPasta(opts Options, childPID int) error {
	path, err := lookHelper(opts.Driver)
	if err != nil {
		return err
	}
	if _, err := Probe(opts.Driver.Helper(), path); err != nil {
		return err
	}
	lease, pid, err := startPasta(opts, path, childPID)
	if err != nil {
		return err
	}
	n.Lease, n.Helpers = lease, []int{pid}
	watchHelpers(n.Helpers)
	return nil
}

// startPasta attaches pasta to childPID's network namespace. rootlesskit's
// pasta driver leaves pasta's namespace-to-host forwarding (-T/-U) at its
// default, "auto", which lets the sandbox reach every port the host listens
// on at 127.0.0.1; the default here must keep host loopback out, so devbox
// starts pasta itself with -T none -U none, and with --pid to know whom to
// end (pasta daemonizes).
func startPasta(opts Options, path string, childPID int) (Lease, int, error) {
	pidFile := filepath.Join(opts.StateDir, "pasta.pid")
	routed := HasDefaultRoute4()
	cmd := exec.Command(path, pastaArgs(opts, childPID, pidFile, routed)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return Lease{}, 0, pastaError(cmd.Args, err, string(out), routed)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return Lease{}, 0, fmt.Errorf("read pasta pid: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return Lease{}, 0, fmt.Errorf("read pasta pid: %w", err)
	}
	lease := Lease{Dev: "tap0", Addr: pastaAddr + "/24", Gateway: pastaGateway, DNS: []string{pastaDNS}, MTU: MTU, ConfiguresInterface: true}
	return lease, pid, nil
}

// pastaMAC is the gateway's MAC address as the sandbox sees it: newer
// pasta's own default. Older pasta (Debian 12's) copies the MAC of the
// host's default-route interface instead and refuses to start when that
// interface has none (a VPN's tun, ppp) or there is no such interface.
const pastaMAC = "9a:55:9a:55:9a:55"

// pastaArgs is pasta's command line. routed is whether the host has an IPv4
// default route: without one, older pasta finds no template interface ("No
// external routable interface for IPv4") and exits, so devbox names lo as
// the template. Every address pasta would take from the template is given
// here, so lo contributes nothing; the sandbox then reaches what the host
// can reach without a default route (local subnets), and published ports and
// --allow-host-loopback work as with one.
func pastaArgs(opts Options, childPID int, pidFile string, routed bool) []string {
	args := []string{
		"--stderr", "--ns-ifname=tap0", "--mtu=" + strconv.Itoa(MTU),
		"--config-net", "--address=" + pastaAddr, "--netmask=24",
		"--gateway=" + pastaGateway, "--dns-forward=" + pastaDNS, "--ipv4-only",
		"--mac-addr=" + pastaMAC,
		// Published ports go through the builtin port driver.
		"--tcp-ports=none", "--udp-ports=none",
		// The sandbox's 127.0.0.1 is its own.
		"--tcp-ns=none", "--udp-ns=none",
		"--pid", pidFile,
	}
	if !routed {
		args = append(args, "--interface=lo")
	}
	if !opts.AllowHostLoopback {
		// Without --no-map-gw the gateway address reaches host loopback.
		args = append(args, "--no-map-gw")
	}
	return append(args, strconv.Itoa(childPID))
}

// pastaError explains a pasta that exited at start. pasta's output is kept
// without its syslog complaints (it logs to syslog too, and in a sandbox or
// container there is often none). When pasta found no external interface,
// the message says so, why, and the way out.
func pastaError(args []string, err error, out string, routed bool) error {
	var kept []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.Contains(line, "to syslog") {
			kept = append(kept, line)
		}
	}
	text := strings.Join(kept, "; ")
	if !strings.Contains(text, "External interface not usable") && !strings.Contains(text, "No external routable interface") {
		return attachError(pastaName, fmt.Errorf("%v: %w: %s", args, err, text))
	}
	why := "pasta found no usable external interface on the host"
	if !routed {
		why = "the host has no default route (no routable interface), and this pasta cannot start without one"
	}
	return hint.Wrap(fmt.Errorf("start pasta: %s: pasta said: %s", why, text),
		"use --network slirp4netns (works without a default route), or --network none (loopback only)")
}
