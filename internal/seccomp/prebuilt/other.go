//go:build !amd64

package prebuilt

import (
	"github.com/devbox-dev/devbox/internal/seccomp"
	"golang.org/x/sys/unix"
)

// Architectures without a generated table assemble the profile at each
// start: the filter library assembles only for the machine it runs on.

func defaultProgram() ([]unix.SockFilter, error) { return seccomp.Compile() }

func strictProgram() ([]unix.SockFilter, error) { return seccomp.CompileStrict() }

func notifyProgram() ([]unix.SockFilter, error) {
	prog, _, err := seccomp.CompileNotify()
	return prog, err
}
