package storage

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/docker/docker-credential-helpers/client"
	"github.com/docker/docker-credential-helpers/credentials"
	"github.com/google/go-containerregistry/pkg/authn"
)

// Registry credentials, looked up inside the user namespace (pullInNS) with
// the caller's environment, in Podman's order (containers/image's
// pkg/docker/config): $REGISTRY_AUTH_FILE alone when set; else
// $XDG_RUNTIME_DIR/containers/auth.json, then
// $XDG_CONFIG_HOME/containers/auth.json (~/.config), then
// $DOCKER_CONFIG/config.json (~/.docker/config.json). The first file with an
// entry for the image wins; within a file the most specific key wins
// (registry/ns/repo before registry/ns before registry). An entry is
// "auths" (base64 user:password, or an identity token) or a "credHelpers"
// program, docker-credential-NAME.

// authFiles returns the files searched for credentials, in order.
func authFiles() []string {
	if f := os.Getenv("REGISTRY_AUTH_FILE"); f != "" {
		return []string{f}
	}
	home, _ := os.UserHomeDir()
	var out []string
	if rt := os.Getenv("XDG_RUNTIME_DIR"); rt != "" {
		out = append(out, filepath.Join(rt, "containers", "auth.json"))
	}
	cfg := os.Getenv("XDG_CONFIG_HOME")
	if cfg == "" && home != "" {
		cfg = filepath.Join(home, ".config")
	}
	if cfg != "" {
		out = append(out, filepath.Join(cfg, "containers", "auth.json"))
	}
	if d := os.Getenv("DOCKER_CONFIG"); d != "" {
		out = append(out, filepath.Join(d, "config.json"))
	} else if home != "" {
		out = append(out, filepath.Join(home, ".docker", "config.json"))
	}
	return out
}

// authFile is the part of auth.json and config.json that credentials come
// from.
type authFile struct {
	Auths       map[string]authEntry `json:"auths"`
	CredHelpers map[string]string    `json:"credHelpers"`
}

type authEntry struct {
	Auth          string `json:"auth"`
	IdentityToken string `json:"identitytoken"`
}

// keychain is an authn.Keychain over authFiles; it remembers which file
// answered so that a refused pull can name it.
type keychain struct {
	mu     sync.Mutex
	source string // file whose credentials were used; "" for anonymous
}

// Resolve implements authn.Keychain.
func (k *keychain) Resolve(target authn.Resource) (authn.Authenticator, error) {
	scopes := authScopes(target.String(), target.RegistryStr())
	var errs []error
	for _, path := range authFiles() {
		a, err := credentialsIn(path, scopes)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if a != nil {
			k.mu.Lock()
			k.source = path
			k.mu.Unlock()
			return a, nil
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return authn.Anonymous, nil
}

// usedFile is the file whose credentials the last Resolve returned.
func (k *keychain) usedFile() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.source
}

// authScopes lists the keys that match repo, most specific first:
// "reg/ns/repo", "reg/ns", "reg".
func authScopes(repo, registry string) []string {
	registry = normalizeRegistry(registry)
	path := strings.TrimPrefix(repo, registryOf(repo))
	out := []string{}
	for p := strings.Trim(path, "/"); p != ""; {
		out = append(out, registry+"/"+p)
		i := strings.LastIndexByte(p, '/')
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return append(out, registry)
}

func registryOf(repo string) string {
	reg, _, _ := strings.Cut(repo, "/")
	return reg
}

// normalizeRegistry makes Docker Hub's several names one.
func normalizeRegistry(r string) string {
	switch r {
	case "docker.io", "registry-1.docker.io":
		return "index.docker.io"
	}
	return r
}

// normalizeKey turns an auths key into a scope: a URL ("https://host/v1/")
// means its host, as Docker writes them.
func normalizeKey(key string) string {
	s := strings.TrimPrefix(strings.TrimPrefix(key, "http://"), "https://")
	if s != key {
		s, _, _ = strings.Cut(s, "/")
	}
	reg, rest, ok := strings.Cut(s, "/")
	if !ok {
		return normalizeRegistry(reg)
	}
	return normalizeRegistry(reg) + "/" + strings.TrimSuffix(rest, "/")
}

// credentialsIn returns path's credentials for the first scope it has, or
// nil when it has none (or does not exist).
func credentialsIn(path string, scopes []string) (authn.Authenticator, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read registry credentials: %w", err)
	}
	var f authFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("read registry credentials from %s: %w", path, err)
	}
	entries := map[string]authEntry{}
	for k, e := range f.Auths {
		entries[normalizeKey(k)] = e
	}
	for _, s := range scopes {
		if e, ok := entries[s]; ok {
			a, err := e.authenticator()
			if err != nil {
				return nil, fmt.Errorf("read registry credentials for %s from %s: %w", s, path, err)
			}
			return a, nil
		}
	}
	registry := scopes[len(scopes)-1]
	for k, helper := range f.CredHelpers {
		if normalizeKey(k) == registry {
			return fromHelper(helper, k, path)
		}
	}
	return nil, nil
}

func (e authEntry) authenticator() (authn.Authenticator, error) {
	if e.IdentityToken != "" {
		return authn.FromConfig(authn.AuthConfig{IdentityToken: e.IdentityToken}), nil
	}
	raw, err := base64.StdEncoding.DecodeString(e.Auth)
	if err != nil {
		return nil, fmt.Errorf("decode \"auth\": %w", err)
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	if !ok || user == "" {
		return nil, errors.New(`decode "auth": want base64 of user:password`)
	}
	return &authn.Basic{Username: user, Password: pass}, nil
}

// fromHelper asks docker-credential-helper for server's credentials.
func fromHelper(helper, server, path string) (authn.Authenticator, error) {
	c, err := client.Get(client.NewShellProgramFunc("docker-credential-"+helper), server)
	if credentials.IsErrCredentialsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get credentials for %s from docker-credential-%s (credHelpers in %s): %w", server, helper, path, err)
	}
	if c.Username == "<token>" {
		return authn.FromConfig(authn.AuthConfig{IdentityToken: c.Secret}), nil
	}
	return &authn.Basic{Username: c.Username, Password: c.Secret}, nil
}
