package storage

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"syscall"

	"github.com/devbox-dev/devbox/internal/preflight"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	cstorage "go.podman.io/storage"
)

// PullRequest is the argument of the image-pull operation.
type PullRequest struct {
	Config Config `json:"config"`
	Ref    string `json:"ref"` // normalised (Ref.String())
	// TLSVerify false allows plain HTTP and unverified TLS for this pull;
	// loopback registries get plain HTTP without it.
	TLSVerify bool `json:"tls_verify"`
	Quiet     bool `json:"quiet,omitempty"`
}

// ImageRef identifies a stored image.
type ImageRef struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Digest string `json:"digest,omitempty"`
}

// pullInNS pulls req.Ref into the store.
func pullInNS(req PullRequest) (ImageRef, error) {
	ref, err := ParseRef(req.Ref)
	if err != nil {
		return ImageRef{}, err
	}
	img, err := fetch(ref, req.TLSVerify)
	if err != nil {
		return ImageRef{}, err
	}
	d, err := img.Digest()
	if err != nil {
		return ImageRef{}, pullError(ref, err)
	}
	names := []string{ref.Pinned(d.String()).String()}
	if ref.Tag != "" {
		names = append(names, Ref{Repo: ref.Repo, Tag: ref.Tag}.String())
	}
	var id string
	err = withStore(req.Config, func(s cstorage.Store, driver string) error {
		id, err = writeImage(s, driver, img, names, readCompressed, newProgress(os.Stderr, req.Quiet))
		return err
	})
	if err != nil {
		return ImageRef{}, pullError(ref, err)
	}
	return ImageRef{ID: id, Name: names[len(names)-1], Digest: d.String()}, nil
}

// fetch resolves ref to an image for linux/<this arch> on its registry.
func fetch(ref Ref, tlsVerify bool) (v1.Image, error) {
	var opts []name.Option
	if !tlsVerify {
		opts = append(opts, name.Insecure)
	}
	r, err := name.ParseReference(ref.String(), opts...)
	if err != nil {
		return nil, fmt.Errorf("parse image reference %q: %w", ref, err)
	}
	img, err := remote.Image(r,
		remote.WithContext(context.Background()),
		remote.WithAuthFromKeychain(keychain{authFiles()}),
		remote.WithTransport(transport(tlsVerify)),
		remote.WithPlatform(v1.Platform{OS: "linux", Architecture: runtime.GOARCH}),
	)
	if err != nil {
		return nil, pullError(ref, err)
	}
	return img, nil
}

// transport refuses plain HTTP to non-loopback registries unless TLS
// verification is off (go-containerregistry falls back to HTTP for private
// addresses by itself).
func transport(tlsVerify bool) http.RoundTripper {
	base := remote.DefaultTransport.(*http.Transport).Clone()
	if !tlsVerify {
		base.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
		return base
	}
	return httpGuard{base}
}

type httpGuard struct{ next http.RoundTripper }

func (g httpGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "http" && !IsLoopback(req.URL.Host) {
		return nil, fmt.Errorf("refusing plain HTTP to %s: pass --tls-verify=false to allow it", req.URL.Host)
	}
	return g.next.RoundTrip(req)
}

// pullError says which failures are the network's.
func pullError(ref Ref, err error) error {
	var opErr *net.OpError
	if errors.As(err, &opErr) || errors.Is(err, syscall.ECONNREFUSED) {
		return preflight.Hint(fmt.Errorf("pull %s: registry %s unreachable: %w", ref, ref.Registry(), err), "check the registry address and that it is running; for a registry on this machine use 127.0.0.1:PORT/NAME")
	}
	if isUnauthorized(err) {
		return preflight.Hint(fmt.Errorf("pull %s: registry %s refused access (authentication required, or no such repository): %w", ref, ref.Registry(), err), authHint(ref.Registry()))
	}
	return fmt.Errorf("pull %s: %w", ref, err)
}
