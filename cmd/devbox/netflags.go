package main

import (
	"github.com/devbox-dev/devbox/internal/config"
	"github.com/devbox-dev/devbox/internal/supervisor"
	"github.com/devbox-dev/devbox/slirpnet"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// netFlags are the networking flags of run and enter.
type netFlags struct {
	network           string
	publish           []string
	allowHostLoopback bool
}

func (f *netFlags) register(cmd *cobra.Command, fl *pflag.FlagSet) {
	fl.StringVar(&f.network, "network", "", "network: slirp4netns, pasta, host or none (default: slirp4netns if installed, else pasta)")
	fl.StringArrayVarP(&f.publish, "publish", "p", nil, "publish a port: [[HOSTIP:]HOSTPORT:]PORT[/tcp|/udp]; HOSTIP defaults to 127.0.0.1, a bare PORT uses the same host port (repeatable)")
	fl.BoolVar(&f.allowHostLoopback, "allow-host-loopback", false, "let the sandbox reach host services on 127.0.0.1 as host.devbox.internal")
	cmd.RegisterFlagCompletionFunc("network", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"slirp4netns\tuser-mode network (default)", "pasta\tuser-mode network (passt)", "host\tthe host's network", "none\tloopback only"}, cobra.ShellCompDirectiveNoFileComp
	})
}

// networkFor turns the config's network keys (file plus flag overrides,
// validated by package config) into the sandbox's network, picking the
// default driver. The resolved driver is written back, so a sandbox started
// with the default and one that names it have the same config.
func networkFor(c *config.Config) (supervisor.NetworkConfig, error) {
	n := supervisor.NetworkConfig{Driver: c.Network, AllowHostLoopback: c.AllowHostLoopback, Ports: c.Ports}
	if n.Driver == "" {
		d, err := slirpnet.Default()
		if err != nil {
			return n, err
		}
		n.Driver = d
	}
	c.Network = n.Driver
	return n, nil
}
