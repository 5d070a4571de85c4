package cli

import (
	"github.com/devbox-dev/devbox/docs"
	"github.com/spf13/cobra"
)

// newConfigTopic is the help topic `devbox help config`: the whole
// devbox.toml reference (docs/config.md, built in), so the reference is
// there wherever devbox is, not only in devbox's source tree.
func newConfigTopic() *cobra.Command {
	return &cobra.Command{
		Use:   "config",
		Short: "The devbox.toml reference: every key, its flag and its default",
		Long:  docs.Config,
	}
}
