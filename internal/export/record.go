package export

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/devbox-dev/devbox/hint"
	"github.com/devbox-dev/devbox/internal/state"
)

// Record is what the last export of a sandbox's project made; devbox kube
// reads it to name the image by digest.
type Record struct {
	Name           string `json:"name"`
	Project        string `json:"project"`
	Digest         string `json:"digest"`
	Tag            string `json:"tag"`
	Pushed         string `json:"pushed,omitempty"` // REPO@DIGEST
	Output         string `json:"output,omitempty"` // the archive written, if any
	IncludeProject bool   `json:"include_project"`
	ConfigDigest   string `json:"config_digest"`
}

// Ref is the image reference a manifest uses: the pushed one, else the
// tag's repository with the digest (valid once the archive is loaded).
func (r Record) Ref() string {
	if r.Pushed != "" {
		return r.Pushed
	}
	repo := r.Tag
	if i := lastColonAfterSlash(repo); i >= 0 {
		repo = repo[:i]
	}
	return repo + "@" + r.Digest
}

func lastColonAfterSlash(s string) int {
	for i := len(s) - 1; i >= 0 && s[i] != '/'; i-- {
		if s[i] == ':' {
			return i
		}
	}
	return -1
}

func recordPath(name string) (string, error) {
	data, err := state.DataRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(data, "exports", name+".json"), nil
}

// SaveRecord keeps r for devbox kube.
func SaveRecord(r Record) error {
	p, err := recordPath(r.Name)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return fmt.Errorf("save export record: %w", err)
	}
	b, _ := json.MarshalIndent(r, "", "  ")
	return state.WriteFileAtomic(p, b, 0o600)
}

// LoadRecord reads the last export of sandbox name's project.
func LoadRecord(name string) (Record, error) {
	var r Record
	p, err := recordPath(name)
	if err != nil {
		return r, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return r, hint.Wrap(fmt.Errorf("no export of %s yet: the manifest names the exported image by digest", name), "run 'devbox export' (and '--push REF' for a cluster) first")
	}
	if err == nil {
		err = json.Unmarshal(b, &r)
	}
	if err != nil {
		return r, fmt.Errorf("read export record %s: %w", p, err)
	}
	return r, nil
}
