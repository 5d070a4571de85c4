//go:build integration

package integration

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// writeRegistryAuth writes an auth.json / config.json holding user:pass for
// host.
func writeRegistryAuth(t *testing.T, path, host, user, pass string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	body := fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, host, auth)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

// Credentials come from the files podman login and docker login write, in
// Podman's order; a 401 says what to do.
func TestImage_RegistryAuth(t *testing.T) {
	t.Parallel()
	e, reg, ref := imageEnv(t)
	reg.requireAuth("alice", "s3cret")
	home := t.TempDir()
	e.extra = append(e.extra, "HOME="+home)
	runtimeAuth := filepath.Join(e.runtime, "containers", "auth.json")
	configAuth := filepath.Join(home, ".config", "containers", "auth.json")
	dockerAuth := filepath.Join(home, ".docker", "config.json")

	// No credentials anywhere: what failed, why, and where credentials go.
	r := e.mustFail([]string{"pull " + ref, "requires authentication", "401", runtimeAuth, dockerAuth, "podman login " + reg.host, "docker login " + reg.host},
		"image", "pull", ref)
	t.Logf("no credentials:\n%s", r.stderr)
	if imgs := e.images(); len(imgs) != 0 {
		t.Fatalf("a refused pull stored images: %+v", imgs)
	}
	// --image says the same.
	e.mustFail([]string{"requires authentication", runtimeAuth}, "run", "--rm", "--image", ref, "--", "true")

	writeRegistryAuth(t, dockerAuth, reg.host, "alice", "s3cret")
	e.must("image", "pull", "-q", ref)
	if out := e.must("run", "--rm", "--image", ref, "--", "cat", "/etc/version"); out != "v1\n" {
		t.Errorf("pulled with ~/.docker/config.json: /etc/version %q, want v1", out)
	}

	// $XDG_RUNTIME_DIR/containers/auth.json comes before ~/.docker.
	writeRegistryAuth(t, dockerAuth, reg.host, "alice", "wrong")
	writeRegistryAuth(t, runtimeAuth, reg.host, "alice", "s3cret")
	e.must("image", "pull", "-q", ref)

	// ~/.config/containers/auth.json comes before ~/.docker too; wrong
	// credentials there are named.
	os.Remove(runtimeAuth)
	writeRegistryAuth(t, dockerAuth, reg.host, "alice", "s3cret")
	writeRegistryAuth(t, configAuth, reg.host, "alice", "wrong")
	r = e.mustFail([]string{"refused the credentials from " + configAuth, "401", "podman login " + reg.host}, "image", "pull", ref)
	t.Logf("wrong credentials:\n%s", r.stderr)

	// $REGISTRY_AUTH_FILE, when set, is the only file.
	own := filepath.Join(t.TempDir(), "auth.json")
	writeRegistryAuth(t, own, reg.host, "alice", "s3cret")
	e.extra = append(e.extra, "REGISTRY_AUTH_FILE="+own)
	e.must("image", "pull", "-q", ref)
	os.Remove(configAuth)
	writeRegistryAuth(t, own, "other.example", "alice", "s3cret")
	e.mustFail([]string{"requires authentication", own}, "image", "pull", ref)
}
