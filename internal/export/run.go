package export

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/devbox-dev/devbox/hint"
	"github.com/devbox-dev/devbox/internal/config"
	"github.com/devbox-dev/devbox/internal/imagestore"
	"github.com/devbox-dev/devbox/internal/sandbox"
	"github.com/devbox-dev/devbox/storage"
)

// Options are devbox export's own settings (its flags).
type Options struct {
	Output, Format, Tag, Push        string
	IncludeProject, TLSVerify, Quiet bool
}

// Validate checks the format and the image references.
func (o Options) Validate() error {
	if !slices.Contains(Formats, o.Format) {
		return fmt.Errorf("invalid --format %q: valid choices are %s", o.Format, strings.Join(Formats, ", "))
	}
	if o.Tag != "" {
		if _, err := storage.LocalName(o.Tag); err != nil {
			return fmt.Errorf("invalid --tag %q: %w", o.Tag, err)
		}
	}
	if o.Push != "" {
		if _, err := storage.ParseRef(o.Push); err != nil {
			return fmt.Errorf("invalid --push %q: %w", o.Push, err)
		}
	}
	return nil
}

// Project exports the environment of the sandbox opts describes (prepared,
// its image resolved): the setup steps run in a clean sandbox of their
// own, with their output on log. It returns what it made, also saved for
// devbox kube.
func Project(opts sandbox.Options, o Options, log io.Writer) (Record, error) {
	if opts.Image == nil {
		return Record{}, ErrHostView
	}
	req, err := request(opts, o)
	if err != nil {
		return Record{}, err
	}
	if len(opts.Config.Setup) > 0 {
		name, remove, err := sandbox.Provisioned(opts, log)
		if err != nil {
			return Record{}, err
		}
		defer remove()
		req.Container = storage.ContainerName(name)
	}
	res, err := Export(req)
	if err != nil {
		return Record{}, err
	}
	rec := Record{Name: opts.Name, Project: opts.Project, Digest: res.Digest, Tag: req.Tag, Pushed: res.Pushed,
		Output: req.Output, IncludeProject: req.IncludeProject, ConfigDigest: req.Build.ConfigDigest}
	return rec, SaveRecord(rec)
}

// request fills what the export needs from opts and o.
func request(opts sandbox.Options, o Options) (Request, error) {
	cfg, err := imagestore.StoreConfig()
	if err != nil {
		return Request{}, err
	}
	epoch, err := Epoch()
	if err != nil {
		return Request{}, err
	}
	digest, err := ConfigDigest(opts.Project)
	if err != nil {
		return Request{}, err
	}
	progress := io.Writer(os.Stderr)
	if opts.Warn != nil {
		progress = opts.Warn
	}
	r := Request{
		Store: cfg, ImageID: opts.Image.ID, Exclude: sandbox.MountPoints(opts), IncludeProject: o.IncludeProject,
		Format: o.Format, Output: o.Output, Tag: o.Tag, Push: o.Push,
		PushOptions: storage.PullOptions{TLSVerify: o.TLSVerify, Quiet: o.Quiet, Progress: progress},
		Build: Build{Setup: opts.Config.Setup, Config: opts.Config, ConfigDigest: digest, ProjectDir: opts.Project,
			UID: os.Getuid(), GID: os.Getgid(), Epoch: epoch},
	}
	if r.Tag == "" {
		r.Tag = "localhost/" + opts.Name + ":latest"
	}
	if r.Output == "" && r.Push == "" {
		r.Output = opts.Name + ".tar"
	}
	return r, nil
}

// ConfigDigest is the sha256 of the project's devbox.toml, "" without one.
func ConfigDigest(project string) (string, error) {
	b, err := os.ReadFile(filepath.Join(project, config.FileName))
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read %s: %w", config.FileName, err)
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// Current is the last export of the sandbox opts describes, refused when
// devbox.toml changed since: the manifest would not match the image.
func Current(opts sandbox.Options) (Record, error) {
	rec, err := LoadRecord(opts.Name)
	if err != nil {
		return rec, err
	}
	digest, err := ConfigDigest(opts.Project)
	if err != nil {
		return rec, err
	}
	if digest != rec.ConfigDigest {
		return rec, hint.Wrap(fmt.Errorf("devbox.toml changed since the last export (%s)", rec.Digest), "run 'devbox export' again")
	}
	return rec, nil
}
