package main

import (
	"github.com/devbox-dev/devbox/internal/cli"
	"os"

	"github.com/devbox-dev/devbox/internal/export"
	"github.com/devbox-dev/devbox/internal/kube"
	"github.com/spf13/cobra"
)

func newKubeCmd(a *cli.App) *cobra.Command {
	var job, strict bool
	var name string
	cmd := &cobra.Command{
		Use:   "kube [--job] [--name NAME] [-- CMD...]",
		Short: "Print a Kubernetes Pod or Job for the exported image",
		Long: `Print a Kubernetes manifest for the image the last 'devbox export' of this
project made, by digest: the pushed reference, or the archive's name with its
digest (valid once the archive is loaded on the node). It carries CMD (else the
shell, with stdin and a terminal), the working directory, devbox.toml's env,
ports and [limits], hostUsers: false and a security context like the
sandbox's (its security profile's seccomp and capabilities). Limits
Kubernetes cannot express are listed in a comment.

security = "strict" maps to no capabilities, no privilege escalation and
runAsNonRoot (needs user = "self", the default); --strict maps a
security = "default" project the same way.`,
		Example: `  devbox export --push registry.example.com/team/env:ci
  devbox kube --job -- make test > job.yaml && kubectl apply -f job.yaml`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := cli.ProjectOptions(cmd, a, name)
			if err != nil {
				return err
			}
			rec, err := export.Current(opts)
			if err != nil {
				return err
			}
			y, err := kube.Manifest(kube.Input{Name: opts.Name, Job: job, Command: args, Image: rec.Ref(), Config: opts.Config,
				Project: opts.Project, IncludeProject: rec.IncludeProject, UID: os.Getuid(), GID: os.Getgid(), Strict: strict})
			if err != nil {
				return err
			}
			_, err = a.Stdout.Write(y)
			return err
		},
	}
	cmd.Flags().BoolVar(&job, "job", false, "a Job (restartPolicy Never, no retries) instead of a Pod")
	cmd.Flags().StringVar(&name, "name", "", "sandbox name, also the Pod's or Job's name (default: derived from the project directory)")
	cmd.Flags().BoolVar(&strict, "strict", false, "no capabilities, no privilege escalation, non-root")
	cmd.Flags().SetInterspersed(false)
	return cmd
}
