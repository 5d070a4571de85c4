package sandbox

import (
	"github.com/devbox-dev/devbox/internal/proto"
)

// imageRoot is the Spec's image root for opts, completed on the host by the
// supervisor's prepareImage step; nil for the host view.
func imageRoot(opts Options) *proto.ImageRoot {
	if opts.Image == "" {
		return nil
	}
	return &proto.ImageRoot{Ref: opts.Image, ImageID: opts.ImageID, Driver: opts.ImageDriver, Lower: opts.ImageLower}
}
