package main

import (
	"path"
	"strings"

	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/sandbox"
	"github.com/devbox-dev/devbox/storage"
	"github.com/spf13/pflag"
)

// imageFlags is --image on run and enter (a config key: the value reaches
// here through Config.Image), and the image's config once resolved.
type imageFlags struct {
	ref       string
	tlsVerify bool
	resolved  *storage.Lookup
}

func (f *imageFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&f.ref, "image", "", "root the sandbox on this image (pulled if missing, pinned in devbox.lock) instead of the host's files")
	fl.BoolVar(&f.tlsVerify, "tls-verify", true, "verify the registry's TLS certificate when --image pulls (false also allows plain HTTP)")
}

// apply resolves the image (pulling it when missing) into opts.
func (f *imageFlags) apply(a *app, opts sandbox.Options) (sandbox.Options, error) {
	ref := opts.Config.Image // --image, else image = in devbox.toml
	if ref == "" {
		return opts, nil
	}
	cfg, err := storage.DefaultConfig()
	if err != nil {
		return opts, err
	}
	lk, err := storage.Resolve(cfg, opts.Project, opts.Name, ref, storage.PullOptions{TLSVerify: f.tlsVerify, Progress: a.stderr})
	if err != nil {
		return opts, err
	}
	f.resolved = &lk
	opts.Image = &lk
	return opts, nil
}

// spawn applies the image's Env (over the host's), default shell, and
// WorkingDir: a session without a workdir starts in the current directory
// when the sandbox shows it (the project), else in WorkingDir.
func (f *imageFlags) spawn(opts sandbox.Options, req proto.Spawn) proto.Spawn {
	if f.resolved == nil {
		return req
	}
	if opts.Config.Workdir == "" {
		req.DefaultCwd = f.resolved.Config.WorkingDir
	}
	req.Env = overlayEnv(req.Env, f.resolved.Config.Env)
	if sh := defaultShell(f.resolved.Config.Cmd); sh != "" {
		req.ShellHint = sh
	}
	return req
}

// overlayEnv sets each KEY=VALUE of over in env, replacing the same key.
func overlayEnv(env, over []string) []string {
	out := append([]string(nil), env...)
	for _, kv := range over {
		k, _, _ := cutEnv(kv)
		replaced := false
		for i, e := range out {
			if ek, _, _ := cutEnv(e); ek == k {
				out[i], replaced = kv, true
			}
		}
		if !replaced {
			out = append(out, kv)
		}
	}
	return out
}

// defaultShell is the image's Cmd when it is a shell (debian's "bash",
// busybox's "sh").
func defaultShell(cmd []string) string {
	if len(cmd) != 1 {
		return ""
	}
	if !strings.HasSuffix(path.Base(cmd[0]), "sh") {
		return ""
	}
	if !path.IsAbs(cmd[0]) {
		return "/bin/" + cmd[0]
	}
	return cmd[0]
}
