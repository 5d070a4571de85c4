package preflight

import (
	"path/filepath"

	"github.com/devbox-dev/devbox/internal/state"
	"github.com/devbox-dev/devbox/storage/driver"
)

// checkStorage reports the image store's driver: the same decision the
// store makes when it opens (storage/driver), without opening it.
func checkStorage() Check {
	c := Check{Name: "storage"}
	data, err := state.DataRoot()
	if err != nil {
		return c.warn(err.Error(), "set HOME or XDG_DATA_HOME")
	}
	root := filepath.Join(data, "storage")
	choice, err := driver.Choose(root)
	if err != nil {
		return c.fail(err.Error(), "unset "+driver.Env+" or set it to overlay, fuse-overlayfs or vfs")
	}
	detail := choice.Driver + " (" + choice.Why + ") in " + root
	switch {
	case !choice.Fallback:
		return c.ok(detail)
	case choice.Driver == driver.Fuse:
		return c.warn(detail+": image roots are several times slower than native overlay", "keep the store on a local disk file system (ext4, xfs, btrfs): set XDG_DATA_HOME to a directory there")
	}
	return c.warn(detail+": every sandbox copies its whole image (vfs)", "install fuse-overlayfs, or keep the store on a local file system")
}
