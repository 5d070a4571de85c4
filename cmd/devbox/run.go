package main

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"time"

	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/sandbox"
	"github.com/spf13/cobra"
)

func newRunCmd(a *app) *cobra.Command {
	var f sandboxFlags
	var tty, rm bool
	cmd := &cobra.Command{
		Use:   "run [flags] -- CMD [ARG...]",
		Short: "Run a command in the project's sandbox",
		Long: `Run CMD in the project's sandbox, starting the sandbox if it is not running.
stdin, stdout and stderr pass through, and so does the exit status: the
command's own code, 128+N when signal N killed it, 126 when it cannot be
executed, 127 when it is not found, and 125 when devbox itself fails.`,
		Example: `  devbox run -- make test
  devbox run -t -- top                  # with a terminal
  devbox run --rm --network none -- go test ./...   # throwaway sandbox (CI)`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := f.options(cmd, a)
			if err != nil {
				return err
			}
			if rm {
				opts = throwaway(opts)
			}
			req := f.spawnRequest(opts, args)
			req.TTY = tty
			return runSession(opts, req, rm)
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVarP(&tty, "tty", "t", false, "allocate a terminal inside the sandbox")
	cmd.Flags().BoolVar(&rm, "rm", false, "use a throwaway sandbox, destroyed afterwards")
	cmd.Flags().SetInterspersed(false)
	return cmd
}

// throwaway turns opts into a one-off sandbox with its own name.
func throwaway(opts sandbox.Options) sandbox.Options {
	var b [4]byte
	rand.Read(b[:])
	opts.Name = trimName(opts.Name, 54) + "-rm-" + hex.EncodeToString(b[:])
	opts.Ephemeral = true
	opts.Config.IdleTimeout = 0
	return opts
}

func trimName(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// runSession ensures the sandbox, runs one session and passes its status
// through; a throwaway sandbox is stopped afterwards.
func runSession(opts sandbox.Options, req proto.Spawn, stopAfter bool) error {
	h, err := sandbox.Ensure(opts)
	if err != nil {
		if stopAfter {
			sandbox.Discard(opts.Name, 0) // its start lock and any stale state
		}
		return err
	}
	if err := h.Provision(opts, req, os.Stderr); err != nil {
		if stopAfter {
			sandbox.Discard(h.Name, 2*time.Second)
		}
		return err
	}
	code, err := h.Exec(req)
	if stopAfter {
		sandbox.Discard(h.Name, 2*time.Second)
	}
	if err != nil {
		return err
	}
	if code != 0 {
		return &sandbox.ExitError{Code: code}
	}
	return nil
}
