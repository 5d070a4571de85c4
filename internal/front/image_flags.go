package front

import "github.com/spf13/pflag"

// imageFlags is --image on run and enter (a config key: its value reaches
// the client through Config.Image) and --tls-verify for the pull.
type imageFlags struct {
	ref       string
	tlsVerify bool
}

func (f *imageFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&f.ref, "image", "", "root the sandbox on this image (pulled if missing, pinned in devbox.lock) instead of the host's files")
	fl.BoolVar(&f.tlsVerify, "tls-verify", true, "verify the registry's TLS certificate when --image pulls (false also allows plain HTTP)")
}
