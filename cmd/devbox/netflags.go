package main

import (
	"fmt"
	"strings"

	"github.com/devbox-dev/devbox/internal/sandbox"
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
	fl.StringArrayVarP(&f.publish, "publish", "p", nil, "publish a port: [HOSTIP:]HOSTPORT:PORT[/tcp|/udp]; HOSTIP defaults to 127.0.0.1 (repeatable)")
	fl.BoolVar(&f.allowHostLoopback, "allow-host-loopback", false, "let the sandbox reach host services on 127.0.0.1 as host.devbox.internal")
	cmd.RegisterFlagCompletionFunc("network", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"slirp4netns\tuser-mode network (default)", "pasta\tuser-mode network (passt)", "host\tthe host's network", "none\tloopback only"}, cobra.ShellCompDirectiveNoFileComp
	})
}

// config validates the flags and picks the default driver.
func (f *netFlags) config() (sandbox.NetworkConfig, error) {
	c := sandbox.NetworkConfig{Driver: f.network, AllowHostLoopback: f.allowHostLoopback}
	if c.Driver == "" {
		d, err := slirpnet.Default()
		if err != nil {
			return c, err
		}
		c.Driver = d
	}
	if !validDriver(c.Driver) {
		return c, usageError{fmt.Errorf("invalid --network %q: valid choices are %s", f.network, strings.Join(slirpnet.Names, ", "))}
	}
	for _, p := range f.publish {
		if _, err := slirpnet.ParsePortSpec(p); err != nil {
			return c, usageError{err}
		}
	}
	if len(f.publish) > 0 && !slirpnet.Uses(c.Driver) {
		return c, usageError{fmt.Errorf("--publish needs --network slirp4netns or pasta, not %s", c.Driver)}
	}
	c.Ports = f.publish
	return c, nil
}

func validDriver(d string) bool {
	for _, n := range slirpnet.Names {
		if d == n {
			return true
		}
	}
	return false
}
