package front

import (
	"fmt"
	"strings"

	"github.com/devbox-dev/devbox/slirpnet"
	"github.com/spf13/pflag"
)

// netFlags are the networking flags of run and enter.
type netFlags struct {
	network           string
	publish           []string
	allowHostLoopback bool
	requireNetwork    bool
}

func (f *netFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&f.network, "network", "", networkUsage())
	fl.VarP(newStringArray(&f.publish), "publish", "p", "publish a port: [[HOSTIP:]HOSTPORT:]PORT[/tcp|/udp]; HOSTIP defaults to 127.0.0.1, a bare PORT uses the same host port (repeatable)")
	fl.BoolVar(&f.allowHostLoopback, "allow-host-loopback", false, "let the sandbox reach host services on 127.0.0.1 as host.devbox.internal")
	fl.BoolVar(&f.requireNetwork, "require-network", false, "fail (exit 125) instead of falling back to --network none when no network is named and the default one cannot work here")
}

// networkUsage is --network's help: the drivers, and the default's order
// of preference ("slirp4netns, pasta, host or none (default: slirp4netns if
// installed, else pasta)").
func networkUsage() string {
	names := slirpnet.Names()
	var helpers []string
	for _, d := range slirpnet.Drivers() {
		if d.Helper() != "" {
			helpers = append(helpers, d.Name())
		}
	}
	return fmt.Sprintf("network: %s or %s (default: %s if installed, else %s)",
		strings.Join(names[:len(names)-1], ", "), names[len(names)-1], helpers[0], strings.Join(helpers[1:], ", else "))
}
