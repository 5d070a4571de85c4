package main

import (
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
