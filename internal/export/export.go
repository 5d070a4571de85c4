package export

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/devbox-dev/devbox/hint"
	"github.com/devbox-dev/devbox/storage"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Request is one export.
type Request struct {
	Store   storage.Config
	ImageID string
	// Container holds the setup steps' changes ("" when there are none).
	Container string
	// Exclude are devbox's own mount points in that container's layer.
	Exclude        []string
	Build          Build
	IncludeProject bool
	Format, Output string // Output "" writes no archive
	Tag            string
	Push           string // "" pushes nothing
	PushOptions    storage.PullOptions
}

// Result is what an export made.
type Result struct {
	Digest string
	Pushed string // REPO@DIGEST
}

// ErrHostView refuses to export a sandbox without an image.
var ErrHostView = hint.Wrap(errors.New("export: this project's sandbox shows the host's own /usr (no image), which is not portable to another machine"),
	"root the sandbox on an image: add image = \"debian:12\" (or your base) to devbox.toml, then run 'devbox export' again")

// Epoch is $SOURCE_DATE_EPOCH when set, else the Unix epoch: every time
// devbox writes into the image.
func Epoch() (time.Time, error) {
	s := os.Getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		return time.Unix(0, 0).UTC(), nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, fmt.Errorf("invalid SOURCE_DATE_EPOCH %q: want seconds since 1970 (see reproducible-builds.org/specs/source-date-epoch)", s)
	}
	return time.Unix(n, 0).UTC(), nil
}

// Export stages the layers beside the store, assembles the image and
// writes or pushes it.
func Export(r Request) (Result, error) {
	if err := os.MkdirAll(r.Store.GraphRoot, 0o700); err != nil {
		return Result{}, fmt.Errorf("create image store: %w", err)
	}
	dir, err := os.MkdirTemp(r.Store.GraphRoot, "export-")
	if err != nil {
		return Result{}, fmt.Errorf("create export dir: %w", err)
	}
	defer os.RemoveAll(dir)
	base, err := storage.ExportLayers(storage.ExportRequest{Config: r.Store, ImageID: r.ImageID, Container: r.Container, Exclude: r.Exclude, Dir: dir, Epoch: r.Build.Epoch.Unix()})
	if err != nil {
		return Result{}, err
	}
	b := r.Build
	b.Base = base
	if r.IncludeProject {
		owner := storage.Owner{}
		if b.Config.User == "self" {
			owner = storage.Owner{UID: b.UID, GID: b.GID}
		}
		p, err := ProjectLayer(b.ProjectDir, dir, owner, b.Epoch)
		if err != nil {
			return Result{}, err
		}
		b.Project = &p
	}
	img, err := Image(b)
	if err != nil {
		return Result{}, err
	}
	return output(img, r)
}

// output writes the archive and pushes, as asked.
func output(img v1.Image, r Request) (Result, error) {
	d, err := img.Digest()
	if err != nil {
		return Result{}, fmt.Errorf("compute image digest: %w", err)
	}
	res := Result{Digest: d.String()}
	if r.Output != "" {
		if err := Write(img, r.Format, r.Output, r.Tag); err != nil {
			return res, err
		}
	}
	if r.Push != "" {
		ref, err := storage.Push(img, r.Push, r.PushOptions)
		if err != nil {
			return res, err
		}
		res.Pushed = ref.String()
	}
	return res, nil
}
