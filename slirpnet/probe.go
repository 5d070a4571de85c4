package slirpnet

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/devbox-dev/devbox/hint"
)

// Features is what a helper binary supports, read once from its --version
// and --help output and cached by path, size and mtime.
type Features struct {
	Version string `json:"version"`
	// slirp4netns
	Sandbox   bool `json:"sandbox,omitempty"`    // --enable-sandbox (0.4.0)
	Seccomp   bool `json:"seccomp,omitempty"`    // --enable-seccomp (0.4.0)
	NetnsType bool `json:"netns_type,omitempty"` // --netns-type, the 0.4.0 marker
	// pasta
	ConfigNet bool `json:"config_net,omitempty"`
}

// ParseSlirp4netnsFeatures reads `slirp4netns --version` and `--help` output.
func ParseSlirp4netnsFeatures(version, help string) (Features, error) {
	// Compiled here, not at package init: init runs for every devbox command.
	m := regexp.MustCompile(`slirp4netns version (\d+)\.(\d+)\.(\d+)`).FindStringSubmatch(version)
	if m == nil {
		return Features{}, fmt.Errorf("read slirp4netns version from %q", firstLine(version))
	}
	f := Features{
		Version:   m[1] + "." + m[2] + "." + m[3],
		Sandbox:   strings.Contains(help, "--enable-sandbox"),
		Seccomp:   strings.Contains(help, "--enable-seccomp"),
		NetnsType: strings.Contains(help, "--netns-type"),
	}
	major, _ := strconv.Atoi(m[1])
	minor, _ := strconv.Atoi(m[2])
	if major == 0 && minor < 4 || !f.NetnsType {
		return f, hint.Wrap(fmt.Errorf("slirp4netns %s too old: need >= 0.4.0", f.Version),
			"install a newer slirp4netns (Debian 11+ and Ubuntu 20.04+ ship one), or use --network pasta or --network none")
	}
	return f, nil
}

// ParsePastaFeatures reads `pasta --help` output.
func ParsePastaFeatures(version, help string) (Features, error) {
	f := Features{Version: strings.TrimSpace(strings.TrimPrefix(firstLine(version), "pasta ")), ConfigNet: strings.Contains(help, "--config-net")}
	if !f.ConfigNet {
		return f, hint.Wrap(errors.New("pasta too old: it lacks --config-net"), "install a newer passt package, or use --network slirp4netns")
	}
	return f, nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// Probe returns the features of helper (slirp4netns or pasta) at path,
// running it only when the cache has no entry for this exact binary.
func Probe(helper, path string) (Features, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return Features{}, fmt.Errorf("probe %s: %w", helper, err)
	}
	key := fmt.Sprintf("%s|%d|%d", path, fi.Size(), fi.ModTime().UnixNano())
	cache := loadCache()
	if f, ok := cache[key]; ok {
		return f, nil
	}
	version, _ := exec.Command(path, "--version").CombinedOutput()
	help, _ := exec.Command(path, "--help").CombinedOutput()
	var f Features
	if helper == pastaName {
		f, err = ParsePastaFeatures(string(version), string(help))
	} else {
		f, err = ParseSlirp4netnsFeatures(string(version), string(help))
	}
	if err != nil {
		return f, err
	}
	cache[key] = f
	saveCache(cache)
	return f, nil
}

func cachePath() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "devbox", "helpers.json")
}

func loadCache() map[string]Features {
	m := map[string]Features{}
	if p := cachePath(); p != "" {
		if b, err := os.ReadFile(p); err == nil {
			json.Unmarshal(b, &m)
		}
	}
	return m
}

// saveCache writes the cache through a temp file; a failure only costs a
// probe next time.
func saveCache(m map[string]Features) {
	p := cachePath()
	if p == "" || os.MkdirAll(filepath.Dir(p), 0o700) != nil {
		return
	}
	b, _ := json.Marshal(m)
	tmp, err := os.CreateTemp(filepath.Dir(p), ".helpers-*")
	if err != nil {
		return
	}
	tmp.Write(b)
	tmp.Close()
	if os.Rename(tmp.Name(), p) != nil {
		os.Remove(tmp.Name())
	}
}
