package storage

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/docker/cli/cli/config/configfile"
	"github.com/docker/cli/cli/config/types"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	regtransport "github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// authFiles lists where credentials are looked up, in Podman's order: the
// first file holding an entry for the registry wins. (go-containerregistry's
// default keychain reads only one file: a ~/.docker/config.json without the
// registry would hide `podman login`'s auth.json.)
func authFiles() []string {
	var files []string
	if f := os.Getenv("REGISTRY_AUTH_FILE"); f != "" {
		files = append(files, f)
	}
	if rt := os.Getenv("XDG_RUNTIME_DIR"); rt != "" {
		files = append(files, filepath.Join(rt, "containers", "auth.json"))
	}
	home, _ := os.UserHomeDir()
	cfg := os.Getenv("XDG_CONFIG_HOME")
	if cfg == "" && home != "" {
		cfg = filepath.Join(home, ".config")
	}
	if cfg != "" {
		files = append(files, filepath.Join(cfg, "containers", "auth.json"))
	}
	if d := os.Getenv("DOCKER_CONFIG"); d != "" {
		files = append(files, filepath.Join(d, "config.json"))
	} else if home != "" {
		files = append(files, filepath.Join(home, ".docker", "config.json"))
	}
	return files
}

// keychain resolves a registry's credentials from authFiles.
type keychain struct{ files []string }

func (k keychain) Resolve(target authn.Resource) (authn.Authenticator, error) {
	key := target.RegistryStr()
	if key == name.DefaultRegistry {
		key = authn.DefaultAuthKey
	}
	for _, f := range k.files {
		ac, err := lookupAuth(f, key)
		if err != nil {
			return nil, err
		}
		if ac != (types.AuthConfig{}) {
			return authn.FromConfig(authn.AuthConfig{Username: ac.Username, Password: ac.Password,
				Auth: ac.Auth, IdentityToken: ac.IdentityToken, RegistryToken: ac.RegistryToken}), nil
		}
	}
	return authn.Anonymous, nil
}

// lookupAuth reads key's entry from one Docker-format auth file (its
// credential helpers included); a missing file has none.
func lookupAuth(path, key string) (types.AuthConfig, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return types.AuthConfig{}, nil
	}
	if err != nil {
		return types.AuthConfig{}, fmt.Errorf("read auth file: %w", err)
	}
	defer f.Close()
	cf := configfile.New(path)
	if err := cf.LoadFromReader(f); err != nil {
		return types.AuthConfig{}, fmt.Errorf("parse auth file %s: %w", path, err)
	}
	ac, err := cf.GetAuthConfig(key)
	if err != nil {
		return types.AuthConfig{}, fmt.Errorf("get credentials for %s from %s: %w", key, path, err)
	}
	ac.ServerAddress = ""
	return ac, nil
}

// isUnauthorized reports whether the registry refused the pull for want
// of (valid) credentials.
func isUnauthorized(err error) bool {
	var terr *regtransport.Error
	return errors.As(err, &terr) && (terr.StatusCode == http.StatusUnauthorized || terr.StatusCode == http.StatusForbidden)
}

// authHint says where credentials go.
func authHint(registry string) string {
	return fmt.Sprintf("log in to %s: 'podman login %s' or 'docker login %s', or put an \"auths\" entry for it in one of: %s",
		registry, registry, registry, strings.Join(authFiles(), ", "))
}
