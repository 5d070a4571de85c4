//go:build integration

package integration

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// authFile writes a Docker-format auth file with user:pass for host.
func authFile(t *testing.T, path, host, user, pass string) {
	t.Helper()
	cred := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	body := fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, host, cred)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

// A registry demanding credentials: without them the pull fails with
// exit 125 and says where they go; ~/.docker/config.json and Podman's
// $XDG_RUNTIME_DIR/containers/auth.json each provide them, and an auth.json
// entry is found even when ~/.docker/config.json exists without one.
func TestImage_RegistryAuth(t *testing.T) {
	t.Parallel()
	e := newStoreEnv(t)
	reg := newRegistry(t)
	reg.user, reg.pass = "dev", "s3cret"
	reg.push(t, "private/bb:1", testImage(t, "v1"))
	ref := reg.host + "/private/bb:1"
	home := t.TempDir()
	e.extra = append(e.extra, "HOME="+home)

	e.mustFail([]string{"refused access", "podman login " + reg.host, filepath.Join(e.runtime, "containers", "auth.json"), filepath.Join(home, ".docker", "config.json")},
		"image", "pull", ref)

	authFile(t, filepath.Join(home, ".docker", "config.json"), "other.example", "x", "y")
	authFile(t, filepath.Join(e.runtime, "containers", "auth.json"), reg.host, "dev", "wrong")
	e.mustFail([]string{"refused access"}, "image", "pull", ref)

	authFile(t, filepath.Join(e.runtime, "containers", "auth.json"), reg.host, "dev", "s3cret")
	e.must("image", "pull", ref)
	e.must("image", "rm", ref)

	os.Remove(filepath.Join(e.runtime, "containers", "auth.json"))
	authFile(t, filepath.Join(home, ".docker", "config.json"), reg.host, "dev", "s3cret")
	e.must("image", "pull", ref)
	if out := e.must("run", "--rm", "--image", ref, "--", "cat", "/etc/version"); out != "v1\n" {
		t.Errorf("run on the private image: /etc/version %q", out)
	}
}
