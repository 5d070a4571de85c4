package storage

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// dockerHub is how image names spell Docker Hub, as Podman does.
const dockerHub = "docker.io"

// Ref is a normalised image reference.
type Ref struct {
	// Repo is registry/path, e.g. docker.io/library/debian.
	Repo string
	// Tag is empty when Digest is set and no tag was given.
	Tag    string
	Digest string // sha256:...
	// Short is true when the user gave no registry.
	Short bool
}

// String is Repo:Tag, Repo@Digest or Repo:Tag@Digest.
func (r Ref) String() string {
	s := r.Repo
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest
	}
	return s
}

// Registry returns the registry host of the reference.
func (r Ref) Registry() string {
	host, _, _ := strings.Cut(r.Repo, "/")
	return host
}

// Pinned returns the reference by digest d; a short reference stays short.
func (r Ref) Pinned(d string) Ref { return Ref{Repo: r.Repo, Digest: d, Short: r.Short} }

// Typed spells r as a user would: a short reference without docker.io/,
// so that parsing it again gives a short reference.
func (r Ref) Typed() string {
	if r.Short {
		return strings.TrimPrefix(r.String(), dockerHub+"/")
	}
	return r.String()
}

// ParseRef normalises s the way Podman resolves Docker Hub short names:
// "debian" is docker.io/library/debian:latest, "user/app" is
// docker.io/user/app:latest. A first component with a dot, a colon or
// "localhost" names a registry.
func ParseRef(s string) (Ref, error) {
	if s == "" {
		return Ref{}, errors.New("parse image reference: empty reference")
	}
	if strings.ContainsAny(s, " \t\n") || strings.HasPrefix(s, "/") || strings.HasSuffix(s, "/") {
		return Ref{}, fmt.Errorf("parse image reference %q: invalid reference format", s)
	}
	short := !hasRegistry(s)
	ref, err := name.ParseReference(s, name.WithDefaultRegistry(dockerHub))
	if err != nil {
		// go-containerregistry's message only repeats the input.
		return Ref{}, fmt.Errorf("parse image reference %q: invalid reference format: want [HOST[:PORT]/]NAME[:TAG][@sha256:DIGEST], NAME in lowercase", s)
	}
	return fromName(ref, short), nil
}

func fromName(ref name.Reference, short bool) Ref {
	repo := ref.Context()
	reg := repo.RegistryStr()
	if reg == name.DefaultRegistry {
		reg = dockerHub
	}
	out := Ref{Repo: reg + "/" + repo.RepositoryStr(), Short: short}
	switch r := ref.(type) {
	case name.Tag:
		out.Tag = r.TagStr()
	case name.Digest:
		out.Digest = r.DigestStr()
	}
	return out
}

// hasRegistry reports whether the first path component of s is a registry.
func hasRegistry(s string) bool {
	first, _, ok := strings.Cut(s, "/")
	if !ok {
		return false
	}
	return strings.ContainsAny(first, ".:") || first == "localhost"
}

// LocalName is the name an imported image gets: a name without registry
// lives under localhost/, as in Podman.
func LocalName(s string) (Ref, error) {
	if !hasRegistry(s) {
		s = "localhost/" + s
	}
	r, err := ParseRef(s)
	if err != nil {
		return r, err
	}
	if r.Tag == "" && r.Digest == "" {
		r.Tag = "latest"
	}
	r.Short = false
	return r, nil
}

// IsLoopback reports whether registry host (host or host:port) is on the
// loopback interface: the only registries pulled over plain HTTP without
// --tls-verify=false.
func IsLoopback(registry string) bool {
	host := registry
	if h, _, err := net.SplitHostPort(registry); err == nil {
		host = h
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// MatchShort reports whether stored image name n (a full reference) is what
// short name r means: same repository path under any registry, with Docker
// Hub's library/ prefix optional.
func MatchShort(r Ref, n Ref) bool {
	if r.Tag != "" && r.Tag != n.Tag {
		return false
	}
	if r.Digest != "" && r.Digest != n.Digest {
		return false
	}
	want := strings.TrimPrefix(r.Repo, dockerHub+"/")
	path := n.Repo[strings.Index(n.Repo, "/")+1:]
	return path == want || path == strings.TrimPrefix(want, "library/") ||
		strings.TrimPrefix(path, "library/") == strings.TrimPrefix(want, "library/")
}
