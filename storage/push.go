package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"

	"github.com/devbox-dev/devbox/hint"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Push uploads img to ref on its registry, on the host: the same
// credentials (Podman's files and helpers), TLS rules and per-layer
// progress as Pull. It returns ref pinned to the pushed digest.
func Push(img v1.Image, ref string, o PullOptions) (Ref, error) {
	r, err := ParseRef(ref)
	if err != nil {
		return Ref{}, err
	}
	var opts []name.Option
	if !o.TLSVerify {
		opts = append(opts, name.Insecure)
	}
	nr, err := name.ParseReference(r.String(), opts...)
	if err != nil {
		return Ref{}, fmt.Errorf("parse image reference %q: %w", r, err)
	}
	var p *progress
	if f, ok := o.Progress.(*os.File); ok {
		p = newProgress(f, o.Quiet)
	}
	kc := &keychain{}
	err = remote.Write(nr, progressImage{img, p},
		remote.WithContext(context.Background()),
		remote.WithAuthFromKeychain(kc),
		remote.WithTransport(transport(o.TLSVerify)))
	if err != nil {
		if isUnauthorized(err) {
			return Ref{}, verbAuthError("push", r, kc.usedFile())
		}
		return Ref{}, pushError(r, err)
	}
	d, err := img.Digest()
	if err != nil {
		return Ref{}, fmt.Errorf("push %s: %w", r, err)
	}
	return r.Pinned(d.String()), nil
}

func pushError(ref Ref, err error) error {
	var opErr *net.OpError
	if errors.As(err, &opErr) || errors.Is(err, syscall.ECONNREFUSED) {
		return hint.Wrap(fmt.Errorf("push %s: registry %s unreachable: %w", ref, ref.Registry(), err), "check the registry address and that it is running; for a registry on this machine use 127.0.0.1:PORT/NAME")
	}
	return fmt.Errorf("push %s: %w", ref, err)
}

// progressImage shows each uploaded layer as Pull shows a download.
type progressImage struct {
	v1.Image
	p *progress
}

func (i progressImage) Layers() ([]v1.Layer, error) {
	ls, err := i.Image.Layers()
	if err != nil || i.p == nil {
		return ls, err
	}
	out := make([]v1.Layer, len(ls))
	for n, l := range ls {
		out[n] = progressLayer{l, i.p}
	}
	return out, nil
}

func (i progressImage) LayerByDigest(h v1.Hash) (v1.Layer, error) {
	l, err := i.Image.LayerByDigest(h)
	if err != nil || i.p == nil {
		return l, err
	}
	return progressLayer{l, i.p}, nil
}

type progressLayer struct {
	v1.Layer
	p *progress
}

func (l progressLayer) Compressed() (io.ReadCloser, error) {
	rc, err := l.Layer.Compressed()
	if err != nil {
		return nil, err
	}
	d, _ := l.Digest()
	size, err := l.Size()
	if err != nil {
		size = -1
	}
	return &progressCloser{r: l.p.reader(d.String(), size, rc), c: rc, p: l.p, layer: d.String()}, nil
}

type progressCloser struct {
	r     io.Reader
	c     io.Closer
	p     *progress
	layer string
	ended bool
}

func (c *progressCloser) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	if err == io.EOF && !c.ended {
		c.ended = true
		c.p.done(c.layer, nil)
	}
	return n, err
}

func (c *progressCloser) Close() error { return c.c.Close() }
