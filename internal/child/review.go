package child

import (
	"fmt"
	"os"
	"strings"

	"github.com/devbox-dev/devbox/internal/proto"
)

// mountReview mounts the review overlay at the project's path: the real
// project (through the old root) is the read-only lower layer, the
// sandbox's review layer in its data dir the upper one. The data dir is
// reachable only through the old root, which is dropped after the root is
// built, and it is inside devbox's hidden dirs, so nothing in the sandbox
// can reach the layer except through the overlay.
//
// Native overlay runs in the sandbox's user namespace with userxattr: its
// whiteouts are 0/0 character devices and its opaque marks
// user.overlay.opaque, which internal/review reads. fuse-overlayfs writes
// the same devices where it can and .wh. files where it cannot; its daemon
// runs outside the sandbox (fuseMount).
func mountReview(spec proto.Spec) error {
	r := spec.Review
	lower, upper, work := oldRoot+spec.ProjectDir, oldRoot+r.Upper, oldRoot+r.Work
	for _, p := range []string{lower, upper, work} {
		if strings.ContainsAny(p, ",:\\\n") {
			return fmt.Errorf("mount the review overlay: %s holds one of , : \\ or a newline, which overlay options cannot carry; move the project or devbox's data dir (XDG_DATA_HOME)", p)
		}
	}
	if err := os.MkdirAll(spec.ProjectDir, 0o755); err != nil {
		return err
	}
	if r.Driver == "fuse-overlayfs" {
		return fuseMount(oldRoot+"/dev/fuse", proto.FuseReview, spec.ProjectDir)
	}
	opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s,userxattr", lower, upper, work)
	if err := mount("overlay", spec.ProjectDir, "overlay", 0, opts); err != nil {
		return fmt.Errorf("%w (the review layer's driver is native overlay; DEVBOX_STORAGE_DRIVER=fuse-overlayfs and 'devbox restart' use fuse-overlayfs instead)", err)
	}
	return nil
}
