package sandbox

import (
	"github.com/devbox-dev/devbox/internal/proto"
)

// imageRoot is the Spec's image root for opts, completed on the host by the
// supervisor's prepareImage step; nil for the host view.
func imageRoot(opts Options) *proto.ImageRoot {
	lk := opts.Image
	if lk == nil {
		return nil
	}
	return &proto.ImageRoot{Ref: lk.Name, ImageID: lk.ID, Driver: lk.Driver, Lower: lk.Lower, Config: lk.Config}
}
