// Package export turns a project's environment into an OCI image: the base
// image's layers as stored, the layer the setup steps wrote in a clean
// sandbox, optionally the project tree, and a config built from
// devbox.toml. It runs on the host, in the client process; reading the
// store happens in a user namespace through storage.ExportLayers.
package export

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/devbox-dev/devbox/internal/config"
	"github.com/devbox-dev/devbox/internal/session"
	"github.com/devbox-dev/devbox/slirpnet"
	"github.com/devbox-dev/devbox/storage"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Labels devbox puts on the image config.
const (
	LabelVersion      = "dev.devbox.version"
	LabelConfigDigest = "dev.devbox.config.digest"
	LabelProject      = "dev.devbox.project"
)

// Version is devbox's version for the image label; builds may set it with
// -ldflags "-X github.com/devbox-dev/devbox/internal/export.Version=...".
var Version = ""

// version is Version, else the module version the binary was built from.
func version() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// Build is what makes the image.
type Build struct {
	Base    storage.Exported
	Project *storage.LayerFile // the project tree, when included
	Setup   []string           // the steps that made Base.Setup
	Config  config.Config
	// ConfigDigest is the sha256 of devbox.toml ("" without one).
	ConfigDigest string
	ProjectDir   string
	// UID and GID are the user's for user = "self".
	UID, GID int
	Epoch    time.Time
}

// Image assembles the image. Every layer is an uncompressed tarball, so a
// base layer's digest is its diff id in the base image's config, unchanged.
func Image(b Build) (v1.Image, error) {
	cf, err := baseConfig(b.Base)
	if err != nil {
		return nil, err
	}
	layers := append([]storage.LayerFile(nil), b.Base.Layers...)
	created := v1.Time{Time: b.Epoch.UTC()}
	if b.Base.Setup != nil {
		layers = append(layers, *b.Base.Setup)
		cf.History = append(cf.History, v1.History{Created: created, CreatedBy: "devbox export: setup: " + strings.Join(b.Setup, " && "), Comment: "devbox " + version()})
	}
	if b.Project != nil {
		layers = append(layers, *b.Project)
		cf.History = append(cf.History, v1.History{Created: created, CreatedBy: "devbox export: project " + b.ProjectDir, Comment: "devbox " + version()})
	}
	cf.RootFS.DiffIDs = nil
	for _, l := range layers {
		h, err := v1.NewHash(l.DiffID)
		if err != nil {
			return nil, fmt.Errorf("layer digest %q: %w", l.DiffID, err)
		}
		cf.RootFS.DiffIDs = append(cf.RootFS.DiffIDs, h)
	}
	cf.Created = created
	cf.Container, cf.DockerVersion = "", ""
	cf.Config = imageConfig(cf.Config, b)
	return newImage(cf, layers, b.Base)
}

// baseConfig parses the stored config and checks that the exported layers
// are the ones it names.
func baseConfig(base storage.Exported) (*v1.ConfigFile, error) {
	cf, err := v1.ParseConfigFile(bytes.NewReader(base.Config))
	if err != nil {
		return nil, fmt.Errorf("parse base image config: %w", err)
	}
	if len(cf.RootFS.DiffIDs) != len(base.Layers) {
		return nil, fmt.Errorf("base image config names %d layers, the store holds %d", len(cf.RootFS.DiffIDs), len(base.Layers))
	}
	for i, d := range cf.RootFS.DiffIDs {
		want := base.Layers[i].DiffID
		if base.Layers[i].Original != "" {
			want = base.Layers[i].Original
		}
		if d.String() != want {
			return nil, fmt.Errorf("base image layer %d is %s in the store, %s in the config; pull the image again", i+1, base.Layers[i].DiffID, d)
		}
	}
	return cf, nil
}

// imageConfig is the runtime config: devbox.toml's env over the image's,
// the working directory, the user, the shell as default command, the
// published ports, and devbox's labels.
func imageConfig(c v1.Config, b Build) v1.Config {
	c.Env = overlayEnv(c.Env, b.Config.Env)
	switch {
	case b.Config.Workdir != "":
		c.WorkingDir = b.Config.Workdir
	case b.Project != nil:
		c.WorkingDir = b.ProjectDir
	}
	c.User = "0:0"
	if b.Config.User == config.UserSelf {
		c.User = fmt.Sprintf("%d:%d", b.UID, b.GID)
	}
	c.Entrypoint = nil
	c.Cmd = []string{Shell(b.Config.Shell, c.Cmd)}
	c.ExposedPorts = nil
	for _, p := range b.Config.Ports {
		if port, proto, err := ContainerPort(p); err == nil {
			if c.ExposedPorts == nil {
				c.ExposedPorts = map[string]struct{}{}
			}
			c.ExposedPorts[port+"/"+proto] = struct{}{}
		}
	}
	labels := map[string]string{}
	for k, v := range c.Labels {
		labels[k] = v
	}
	labels[LabelVersion] = version()
	labels[LabelConfigDigest] = b.ConfigDigest
	labels[LabelProject] = b.ProjectDir
	c.Labels = labels
	return c
}

// Shell is the configured shell, else the image's Cmd when it is a shell,
// else /bin/sh: what a devbox session without a command runs.
func Shell(configured string, cmd []string) string {
	if configured != "" {
		return configured
	}
	if len(cmd) == 1 && strings.HasSuffix(path.Base(cmd[0]), "sh") {
		if path.IsAbs(cmd[0]) {
			return cmd[0]
		}
		return "/bin/" + cmd[0]
	}
	return "/bin/sh"
}

// ContainerPort is the port inside and its protocol ("tcp" or "udp") of
// a ports entry, [[HOST_IP:]HOST_PORT:]PORT[/PROTO], read with the parser
// the network drivers and the config use.
func ContainerPort(spec string) (port, proto string, err error) {
	p, err := slirpnet.ParsePortSpec(spec)
	if err != nil {
		return "", "", err
	}
	return strconv.Itoa(p.Port), p.Proto, nil
}

// overlayEnv sets devbox.toml's variables over the image's, in key order.
func overlayEnv(env []string, set map[string]string) []string {
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	over := make([]string, 0, len(keys))
	for _, k := range keys {
		over = append(over, k+"="+set[k])
	}
	return session.OverlayEnv(env, over)
}

// image is an OCI image whose layers are uncompressed files.
type image struct {
	config, manifest []byte
	layers           map[v1.Hash]fileLayer
}

func newImage(cf *v1.ConfigFile, files []storage.LayerFile, base storage.Exported) (v1.Image, error) {
	raw, err := json.Marshal(cf)
	if err != nil {
		return nil, fmt.Errorf("encode image config: %w", err)
	}
	cfgDesc, err := v1.NewHash(digestOf(raw))
	if err != nil {
		return nil, err
	}
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		Config:        v1.Descriptor{MediaType: types.OCIConfigJSON, Size: int64(len(raw)), Digest: cfgDesc},
	}
	img := &image{config: raw, layers: map[v1.Hash]fileLayer{}}
	for _, f := range files {
		h, _ := v1.NewHash(f.DiffID)
		img.layers[h] = fileLayer{f: f, h: h}
		m.Layers = append(m.Layers, v1.Descriptor{MediaType: types.OCIUncompressedLayer, Size: f.Size, Digest: h})
	}
	if base.Name != "" && base.Digest != "" {
		m.Annotations = map[string]string{"org.opencontainers.image.base.name": base.Name, "org.opencontainers.image.base.digest": base.Digest}
	}
	if img.manifest, err = json.Marshal(m); err != nil {
		return nil, fmt.Errorf("encode image manifest: %w", err)
	}
	return partial.CompressedToImage(img)
}

func (i *image) RawConfigFile() ([]byte, error)      { return i.config, nil }
func (i *image) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }
func (i *image) RawManifest() ([]byte, error)        { return i.manifest, nil }

func (i *image) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	if l, ok := i.layers[h]; ok {
		return l, nil
	}
	return nil, fmt.Errorf("image has no layer %s", h)
}

// fileLayer is an uncompressed layer tarball on disk.
type fileLayer struct {
	f storage.LayerFile
	h v1.Hash
}

func (l fileLayer) Digest() (v1.Hash, error)             { return l.h, nil }
func (l fileLayer) DiffID() (v1.Hash, error)             { return l.h, nil }
func (l fileLayer) Size() (int64, error)                 { return l.f.Size, nil }
func (l fileLayer) MediaType() (types.MediaType, error)  { return types.OCIUncompressedLayer, nil }
func (l fileLayer) Compressed() (io.ReadCloser, error)   { return os.Open(l.f.Path) }
func (l fileLayer) Uncompressed() (io.ReadCloser, error) { return os.Open(l.f.Path) }

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}
