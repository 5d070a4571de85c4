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
	"strings"
	"syscall"

	"github.com/devbox-dev/devbox/hint"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	gcrtransport "github.com/google/go-containerregistry/pkg/v1/remote/transport"
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
	kc := &keychain{}
	img, err := remote.Image(r,
		remote.WithContext(context.Background()),
		remote.WithAuthFromKeychain(kc),
		remote.WithTransport(transport(tlsVerify)),
		remote.WithPlatform(v1.Platform{OS: "linux", Architecture: runtime.GOARCH}),
	)
	if err != nil {
		if isUnauthorized(err) {
			return nil, authError(ref, kc.usedFile())
		}
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
		return hint.Wrap(fmt.Errorf("pull %s: registry %s unreachable: %w", ref, ref.Registry(), err), "check the registry address and that it is running; for a registry on this machine use 127.0.0.1:PORT/NAME")
	}
	return fmt.Errorf("pull %s: %w", ref, err)
}

func isUnauthorized(err error) bool {
	var terr *gcrtransport.Error
	return errors.As(err, &terr) && terr.StatusCode == http.StatusUnauthorized
}

// authError explains a 401: no credentials were found (say where to put
// them), or the ones used were refused (say which file holds them).
func authError(ref Ref, used string) error { return verbAuthError("pull", ref, used) }

// verbAuthError is authError for a pull or a push.
func verbAuthError(verb string, ref Ref, used string) error {
	reg := ref.Registry()
	login := fmt.Sprintf("'podman login %s' or 'docker login %s'", reg, reg)
	if used != "" {
		return hint.Wrap(
			fmt.Errorf("%s %s: registry %s refused the credentials from %s (401 Unauthorized)", verb, ref, reg, used),
			fmt.Sprintf("fix the entry for %s in %s, or log in again with %s", reg, used, login))
	}
	files := authFiles()
	if len(files) == 0 {
		return hint.Wrap(
			fmt.Errorf("%s %s: registry %s requires authentication (401 Unauthorized) and neither HOME nor XDG_RUNTIME_DIR is set to find credentials under", verb, ref, reg),
			"set REGISTRY_AUTH_FILE to a file holding them, or set HOME and log in with "+login)
	}
	return hint.Wrap(
		fmt.Errorf("%s %s: registry %s requires authentication (401 Unauthorized) and no credentials for it were found in %s", verb, ref, reg, strings.Join(files, ", ")),
		fmt.Sprintf("log in with %s, or put {\"auths\": {\"%s\": {\"auth\": \"<base64 of user:password>\"}}} in %s (if the image is public, check its name: some registries, Docker Hub among them, answer 401 for a repository that does not exist)", login, reg, files[0]))
}
