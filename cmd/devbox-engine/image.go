package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/devbox-dev/devbox/internal/cli"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/devbox-dev/devbox/internal/imagestore"
	"github.com/devbox-dev/devbox/internal/project"
	"github.com/devbox-dev/devbox/internal/sandbox"
	"github.com/devbox-dev/devbox/storage"
	"github.com/spf13/cobra"
)

func newImageCmd(a *cli.App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "image",
		Short: "Manage the images sandboxes start from",
		Long: `Images live in a rootless store in $XDG_DATA_HOME/devbox/storage (native
overlay, else fuse-overlayfs, else vfs). A sandbox started with --image runs on
a writable layer over the image, kept until 'devbox rm'.`,
	}
	cmd.AddCommand(newImagePullCmd(a), newImageImportCmd(a), newImageLsCmd(a), newImageRmCmd(a), newImagePruneCmd(a), newImageUpdateCmd(a))
	return cmd
}

func newImagePullCmd(a *cli.App) *cobra.Command {
	var tlsVerify, quiet bool
	cmd := &cobra.Command{
		Use:         "pull REF",
		Annotations: cli.Needs("needs one image reference"),
		Short:       "Pull an image from a registry",
		Long: `Pull REF from an OCI or Docker registry. A short name such as "debian" means
docker.io/library/debian:latest. Registries on 127.0.0.1 or localhost are
reached over plain HTTP; others only with --tls-verify=false.

Credentials are looked up as Podman does: $REGISTRY_AUTH_FILE alone when set;
else the first of $XDG_RUNTIME_DIR/containers/auth.json,
~/.config/containers/auth.json and ~/.docker/config.json ($DOCKER_CONFIG) with
an entry for the registry ("auths" or "credHelpers"); 'podman login' and
'docker login' write them.`,
		Example: `  devbox image pull debian:12
  devbox image pull 127.0.0.1:5000/team/base:1`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := imagestore.StoreConfig()
			if err != nil {
				return err
			}
			r, err := storage.Pull(cfg, args[0], storage.PullOptions{TLSVerify: tlsVerify, Quiet: quiet, Progress: a.Stderr})
			if err != nil {
				return err
			}
			fmt.Fprintf(a.Stdout, "%s %s\n", r.Name, r.Digest)
			return nil
		},
	}
	cmd.Flags().BoolVar(&tlsVerify, "tls-verify", true, "verify TLS certificates; false also allows plain HTTP")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print no progress")
	return cmd
}

func newImageImportCmd(a *cli.App) *cobra.Command {
	var name string
	var quiet bool
	cmd := &cobra.Command{
		Use:         "import PATH",
		Annotations: cli.Needs("needs one path to import"),
		Short:       "Import an OCI layout, OCI archive, docker archive or rootfs tarball",
		Example: `  devbox image import ./debian.tar              # docker save / podman save output
  devbox image import --name mydeb rootfs.tar.gz  # plain root file system`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := imagestore.StoreConfig()
			if err != nil {
				return err
			}
			r, err := storage.Import(cfg, args[0], name, quiet, a.Stderr)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.Stdout, "%s %s\n", r.Name, r.ID)
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "image name (required for a plain rootfs tarball)")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print no progress")
	return cmd
}

func newImageLsCmd(a *cli.App) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List stored images",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := imagestore.StoreConfig()
			if err != nil {
				return err
			}
			l, err := storage.List(cfg)
			if err != nil {
				return err
			}
			if asJSON {
				if l.Images == nil {
					l.Images = []storage.Image{}
				}
				enc := json.NewEncoder(a.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(l.Images)
			}
			return printImages(a, l)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func printImages(a *cli.App, l storage.Listing) error {
	w := tabwriter.NewWriter(a.Stdout, 0, 8, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tIMAGE ID\tCREATED\tSIZE")
	for _, img := range l.Images {
		n := "<none>"
		for _, x := range img.Names {
			if !strings.Contains(x, "@") {
				n = x
				break
			}
		}
		fmt.Fprintf(w, "%s\t%.12s\t%s\t%.1f MB\n", n, img.ID, img.Created.Local().Format(time.DateTime), float64(img.Size)/1e6)
	}
	return w.Flush()
}

func newImageRmCmd(a *cli.App) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:         "rm IMAGE...",
		Annotations: cli.Needs("needs the images to remove (see devbox image ls)"),
		Short:       "Remove images (not those a sandbox uses, unless --force)",
		Long: `Remove images from the store. An image that sandboxes use is refused, naming
them. With --force, those sandboxes are stopped and their writable layers (what
was installed into the image's root) removed first; their homes are kept, and
their next start makes a new layer on the image their config names.`,
		Example: "  devbox image rm debian:12\n  devbox image rm --force debian:12",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := imagestore.StoreConfig()
			if err != nil {
				return err
			}
			if force {
				if err := freeImages(a, cfg, args); err != nil {
					return err
				}
			}
			ids, err := storage.Remove(cfg, args)
			for _, id := range ids {
				fmt.Fprintf(a.Stdout, "removed %.12s\n", id)
			}
			return err
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "stop the sandboxes that use the image and remove their writable layers (their homes are kept)")
	return cmd
}

// freeImages stops the sandboxes whose writable layers are on the images
// refs name and removes those layers, saying so for each.
func freeImages(a *cli.App, cfg storage.Config, refs []string) error {
	users, err := storage.ImageUsers(cfg, refs)
	if err != nil {
		return err
	}
	for _, name := range users {
		if err := sandbox.Stop(name, 10*time.Second); err != nil && !errors.Is(err, sandbox.ErrNotRunning) {
			return fmt.Errorf("free image for removal: %w", err)
		}
		if err := imagestore.RemoveImageLayer(name); err != nil {
			return fmt.Errorf("free image for removal: remove %s's layer: %w", name, err)
		}
		fmt.Fprintf(a.Stderr, "devbox: %s: stopped and its image layer removed (its home is kept)\n", name)
	}
	return nil
}

func newImagePruneCmd(a *cli.App) *cobra.Command {
	return &cobra.Command{
		Use:   "prune",
		Short: "Remove unnamed images no sandbox uses",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := imagestore.StoreConfig()
			if err != nil {
				return err
			}
			ids, err := storage.Prune(cfg)
			for _, id := range ids {
				fmt.Fprintf(a.Stdout, "removed %.12s\n", id)
			}
			return err
		},
	}
}

func newImageUpdateCmd(a *cli.App) *cobra.Command {
	var name string
	var tlsVerify bool
	cmd := &cobra.Command{
		Use:   "update [REF...]",
		Short: "Re-resolve the project's pinned images and say what changed",
		Long: `Pull the tags pinned in devbox.lock (next to devbox.toml, or in the sandbox's
state) again and pin their new digests. A sandbox keeps its layer on the old
image until 'devbox rm'.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			cwd, err := os.Getwd()
			if err != nil {
				return fmt.Errorf("read current directory: %w", err)
			}
			dir, _, err := project.Find(cwd, sandbox.HostHome())
			if err != nil {
				return err
			}
			if name == "" {
				name = project.Name(dir)
			}
			changes, err := updateImages(dir, name, args, storage.PullOptions{TLSVerify: tlsVerify, Progress: a.Stderr})
			for _, c := range changes {
				switch {
				case c.Old == c.New:
					fmt.Fprintf(a.Stdout, "%s: unchanged %s\n", c.Ref, c.New)
				case c.Old == "":
					fmt.Fprintf(a.Stdout, "%s: pinned %s\n", c.Ref, c.New)
				default:
					fmt.Fprintf(a.Stdout, "%s: %s -> %s\n", c.Ref, c.Old, c.New)
				}
			}
			return err
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "sandbox name (default: derived from the project directory)")
	cmd.Flags().BoolVar(&tlsVerify, "tls-verify", true, "verify TLS certificates; false also allows plain HTTP")
	return cmd
}
