package main

import (
	"fmt"
	"github.com/devbox-dev/devbox/internal/cli"
	"strings"

	"github.com/devbox-dev/devbox/internal/export"
	"github.com/spf13/cobra"
)

func newExportCmd(a *cli.App) *cobra.Command {
	var name string
	var o export.Options
	cmd := &cobra.Command{
		Use:   "export [-o FILE] [--format oci-archive|docker-archive|oci-dir] [--push REF] [--tag REF]",
		Short: "Build an OCI image of the project's environment",
		Long: `Build an OCI image of the project's environment: the base image's layers as
pulled (uncompressed, so each layer's digest is its diff id), one layer with
what the setup steps wrote in a clean sandbox built from the image and
devbox.toml, and with --include-project the project tree at its own path
(minus what .gitignore and .devboxignore exclude, and .git). The config
carries devbox.toml's env, workdir, user, shell and ports.

Every layer devbox writes is reproducible: sorted entries, one timestamp
($SOURCE_DATE_EPOCH, else 1970) and fixed owners. The setup layer is as
reproducible as the setup steps themselves. Changes the steps make under
the home directory or the project are not in it (they are bind mounts).

The archive loads with 'podman load' or 'docker load'; --push uploads it
with the credentials and TLS rules of 'devbox image pull'. 'devbox kube'
then writes a Pod or Job for it.`,
		Example: `  devbox export -o env.tar
  devbox export --include-project --push registry.example.com/team/env:ci
  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) devbox export -o env.tar`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runExport(cmd, a, name, o) },
	}
	fl := cmd.Flags()
	fl.StringVar(&name, "name", "", "sandbox name (default: derived from the project directory)")
	fl.StringVarP(&o.Output, "output", "o", "", "write the image here (default: NAME.tar, or nothing with --push)")
	fl.StringVar(&o.Format, "format", export.FormatOCIArchive, "archive format: "+strings.Join(export.Formats, ", "))
	fl.StringVar(&o.Push, "push", "", "push the image to this registry reference")
	fl.StringVar(&o.Tag, "tag", "", "name recorded in the archive (default: localhost/NAME:latest)")
	fl.BoolVar(&o.IncludeProject, "include-project", false, "add the project tree as a layer")
	fl.BoolVar(&o.TLSVerify, "tls-verify", true, "verify TLS certificates for pulls and --push; false also allows plain HTTP")
	fl.BoolVarP(&o.Quiet, "quiet", "q", false, "print no progress")
	return cmd
}

func runExport(cmd *cobra.Command, a *cli.App, name string, o export.Options) error {
	if err := o.Validate(); err != nil {
		return cli.UsageError{Err: err}
	}
	opts, err := cli.SandboxOptions(cmd, a, name, o.TLSVerify)
	if err != nil {
		return err
	}
	rec, err := export.Project(opts, o, a.Stderr)
	if err != nil {
		return err
	}
	if rec.Output != "" {
		fmt.Fprintf(a.Stdout, "%s %s %s\n", rec.Output, rec.Tag, rec.Digest)
	}
	if rec.Pushed != "" {
		fmt.Fprintf(a.Stdout, "pushed %s\n", rec.Pushed)
	}
	return nil
}
