package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/devbox-dev/devbox/internal/config"
	"github.com/devbox-dev/devbox/internal/front"
	"github.com/devbox-dev/devbox/internal/project"
	"github.com/devbox-dev/devbox/internal/sandbox"
	"github.com/devbox-dev/devbox/regfile"
	"github.com/spf13/cobra"
)

func newInitCmd(a *App) *cobra.Command {
	var force, here bool
	var from, ide string
	cmd := &cobra.Command{
		Use:   "init [--force] [--here] [--from devcontainer.json] [--ide vscode|jetbrains]",
		Short: "Write a commented devbox.toml for the project in the current directory",
		Long: `Write devbox.toml at the project root, with every key documented: the root
of the git work tree the current directory is in, else the current
directory (--here: the current directory always). It
suggests an image for the language files it sees (go.mod, package.json,
pyproject.toml, Cargo.toml) and keeps the host view as the working default.
With --from, it maps a devcontainer.json (comments allowed): image,
forwardPorts, containerEnv, remoteEnv, mounts, onCreateCommand and
postCreateCommand (as setup) and remoteUser, and lists what it could not map.
'devbox help config' is the reference of every key. With --ide vscode, it
also adds a "devbox" terminal profile running 'devbox enter' to
.vscode/settings.json (keeping its other keys) and makes it the default;
with --ide jetbrains it prints the Shell path setting to make. An existing
devbox.toml is then kept.`,
		Example: "  devbox init\n  devbox init --from .devcontainer/devcontainer.json\n  devbox init --ide vscode",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, err := os.Getwd()
			if err != nil {
				return fmt.Errorf("read current directory: %w", err)
			}
			if !here {
				if dir, _, err = project.Find(dir, sandbox.HostHome()); err != nil {
					return err
				}
			}
			profile, ok := ideProfiles[ide]
			if ide != "" && !ok {
				return UsageError{Err: fmt.Errorf("unknown --ide %q: use --ide vscode or --ide jetbrains", ide)}
			}
			if ide == "" {
				return writeInit(a, dir, from, force)
			}
			if _, err := os.Stat(filepath.Join(dir, config.FileName)); err != nil || force {
				if err := writeInit(a, dir, from, force); err != nil {
					return err
				}
			}
			return profile(a, dir)
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "overwrite an existing devbox.toml")
	cmd.Flags().BoolVar(&here, "here", false, "write into the current directory, not the git work-tree root")
	cmd.Flags().StringVar(&ide, "ide", "", "also set up the IDE's terminal: vscode or jetbrains")
	cmd.Flags().StringVar(&from, "from", "", "import a devcontainer.json")
	return cmd
}

func writeInit(a *App, dir, from string, force bool) error {
	path := filepath.Join(dir, config.FileName)
	if _, err := os.Stat(path); err == nil && !force {
		return UsageError{Err: fmt.Errorf("%s already exists; pass --force to overwrite it", path)}
	}
	var im *config.Imported
	if from != "" {
		// A sandbox may have written it: a regular file of bounded size.
		data, err := regfile.Read(from, config.MaxFileSize)
		if err != nil {
			return fmt.Errorf("read %s: %w", from, err)
		}
		got, err := config.ImportDevcontainer(data)
		if err != nil {
			return err
		}
		im = &got
	}
	text := config.InitFile(dir, im, from)
	c, err := config.Parse([]byte(text), config.FileName, config.Context{Project: dir, Home: sandbox.HostHome()})
	if err != nil {
		var cerr *config.Error
		if !errors.As(err, &cerr) {
			return err
		}
		fmt.Fprintf(a.Stderr, "devbox: warning: the written file needs a fix before use:\n%v\n", err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	fmt.Fprintf(a.Stderr, "wrote %s\n", path)
	if im != nil {
		for _, u := range im.Unmapped {
			fmt.Fprintf(a.Stderr, "not imported: %s\n", u)
		}
	}
	if err == nil {
		noteTrust(a, dir, c)
	}
	return nil
}

// noteTrust says when the written file asks for more than the project's
// approved config, which the next run refuses until 'devbox trust'.
func noteTrust(a *App, dir string, c config.Config) {
	pending, _, _, err := sandbox.Pending(dir, c)
	if err != nil || len(pending) == 0 {
		return
	}
	fmt.Fprintln(a.Stderr, "It asks for more access than approved for this project:")
	front.PrintChanges(a.Stderr, pending)
	fmt.Fprintln(a.Stderr, "Check it, then approve it with 'devbox trust'.")
}
