package state

import (
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"strings"
)

// TrustPath is the project's trust record (internal/sandbox/trust.go): one
// file per project path, in the data dir, which no sandbox sees.
func TrustPath(project string) (string, error) {
	data, err := DataRoot()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(project))
	return filepath.Join(data, "trust", hex.EncodeToString(sum[:12])+".json"), nil
}

// TrustDigestPath is beside the project's record: the digest of the load
// of devbox.toml (digest.Sum) whose config the record approves.
func TrustDigestPath(project string) (string, error) {
	path, err := TrustPath(project)
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(path, ".json") + ".digest", nil
}
