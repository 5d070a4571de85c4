package storage

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/devbox-dev/devbox/hint"
	"github.com/devbox-dev/devbox/subid"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	cstorage "go.podman.io/storage"
	"go.podman.io/storage/pkg/stringid"
)

// Keys of the image's big data items.
const (
	keyManifest = "manifest"
	keyConfig   = "config"
)

// layerSource says whether to read a layer compressed (from a registry: the
// store decompresses, progress counts network bytes) or uncompressed (from
// a local archive, which may be stored uncompressed).
type layerSource int

const (
	readCompressed layerSource = iota
	readUncompressed
)

// writeImage stores img's layers (skipping those the store has, by chain
// id) and records the image under names. It returns the image id, the id
// of its config as Podman uses it.
func writeImage(s cstorage.Store, driver string, img v1.Image, names []string, src layerSource, p *progress) (string, error) {
	layers, err := img.Layers()
	if err != nil {
		return "", fmt.Errorf("read image layers: %w", err)
	}
	top := ""
	for _, l := range layers {
		top, err = putLayer(s, driver, l, top, src, p)
		if err != nil {
			return "", err
		}
	}
	return createImage(s, img, top, names)
}

// chainID is the OCI chain id of a layer on top of parent (a chain id or "").
func chainID(parent string, diffID v1.Hash) string {
	if parent == "" {
		return diffID.Hex
	}
	sum := sha256.Sum256([]byte("sha256:" + parent + " " + diffID.String()))
	return hex.EncodeToString(sum[:])
}

func putLayer(s cstorage.Store, driver string, l v1.Layer, parent string, src layerSource, p *progress) (string, error) {
	diffID, err := l.DiffID()
	if err != nil {
		return "", fmt.Errorf("read layer diff id: %w", err)
	}
	id := chainID(parent, diffID)
	if _, err := s.Layer(id); err == nil {
		p.skip(diffID.String())
		return id, nil
	}
	err = storeLayer(s, id, parent, l, src, p, nil)
	if linkRetryable(err) && parent != "" {
		// Maybe a hard link into a lower layer: see links.go.
		dirs, derr := parentDirs(s, driver, parent)
		if derr == nil {
			p.note(diffID.String(), "retrying with hard links into lower layers copied up")
			err = storeLayer(s, id, parent, l, src, p, dirs)
		}
	}
	if errors.Is(err, cstorage.ErrDuplicateID) {
		return id, nil // a concurrent pull stored it first
	}
	if err != nil {
		return "", layerError(diffID, err)
	}
	return id, nil
}

// storeLayer streams layer l into the store as id; with lower dirs, hard
// links to files below are stored as copies.
func storeLayer(s cstorage.Store, id, parent string, l v1.Layer, src layerSource, p *progress, lower []string) error {
	diffID, _ := l.DiffID()
	rc, size, err := openLayer(l, src)
	if err != nil {
		return err
	}
	defer rc.Close()
	r := p.reader(diffID.String(), size, rc)
	if lower != nil {
		fixed := copyCrossLayerLinks(r, lower)
		defer fixed.Close()
		r = fixed
	}
	_, _, err = s.PutLayer(id, parent, nil, "", false, &cstorage.LayerOptions{UncompressedDigest: digestOf(diffID)}, r)
	p.done(diffID.String(), err)
	return err
}

func openLayer(l v1.Layer, src layerSource) (io.ReadCloser, int64, error) {
	if src == readCompressed {
		size, _ := l.Size()
		rc, err := l.Compressed()
		if err != nil {
			return nil, 0, fmt.Errorf("fetch layer: %w", err)
		}
		return rc, size, nil
	}
	rc, err := l.Uncompressed()
	if err != nil {
		return nil, 0, fmt.Errorf("read layer: %w", err)
	}
	return rc, -1, nil
}

// insufficientIDs matches containers/storage's message for a file owned by
// an id that the user namespace does not map (compiled when needed: package
// init runs for every devbox command).
const insufficientIDs = `requested (\d+):(\d+) for ([^)]*)\)`

// layerError names the id and the mapped range when a layer holds ids the
// user's subordinate range does not cover.
func layerError(diffID v1.Hash, err error) error {
	m := regexp.MustCompile(insufficientIDs).FindStringSubmatch(err.Error())
	if m == nil {
		return fmt.Errorf("store layer %s: %w", diffID, err)
	}
	uid, _ := strconv.ParseUint(m[1], 10, 32)
	gid, _ := strconv.ParseUint(m[2], 10, 32)
	size := mappedSize()
	id := uid
	if uid < size {
		id = gid
	}
	msg := fmt.Errorf("store layer %s: %s is owned by id %d (uid:gid %d:%d), beyond the %d ids mapped in the sandbox (0-%d: your own id and your subordinate range)", diffID, m[3], id, uid, gid, size, size-1)
	need := id + 1 - size
	return hint.Wrap(msg, fmt.Sprintf("add a subordinate range of at least %d more ids, e.g. %s, then pull again", need, usermodFor(need)))
}

// usermodFor is a usermod command adding need ids (at least a block of
// 65536) above every range in /etc/subuid and /etc/subgid.
func usermodFor(need uint64) string {
	uids, _ := os.ReadFile("/etc/subuid")
	gids, _ := os.ReadFile("/etc/subgid")
	start, ok := subid.NextFree(uids, gids)
	if !ok {
		return "'sudo usermod --add-subuids START-END --add-subgids START-END $USER' with a free range"
	}
	end := uint64(start) + max(need, subid.BlockSize) - 1
	return fmt.Sprintf("'sudo usermod --add-subuids %d-%d --add-subgids %d-%d $USER'", start, end, start, end)
}

// mappedSize is the number of uids mapped in this user namespace.
func mappedSize() uint64 {
	var total uint64
	for _, line := range strings.Split(readUIDMap(), "\n") {
		f := strings.Fields(line)
		if len(f) == 3 {
			n, _ := strconv.ParseUint(f[2], 10, 64)
			total += n
		}
	}
	return total
}

func createImage(s cstorage.Store, img v1.Image, top string, names []string) (string, error) {
	cfgName, err := img.ConfigName()
	if err != nil {
		return "", fmt.Errorf("read image config digest: %w", err)
	}
	rawCfg, err := img.RawConfigFile()
	if err != nil {
		return "", fmt.Errorf("read image config: %w", err)
	}
	manifest, err := img.RawManifest()
	if err != nil {
		return "", fmt.Errorf("read image manifest: %w", err)
	}
	mdigest, err := img.Digest()
	if err != nil {
		return "", fmt.Errorf("read image digest: %w", err)
	}
	id := cfgName.Hex
	opts := &cstorage.ImageOptions{
		Digest: digestOf(mdigest),
		BigData: []cstorage.ImageBigDataOption{
			{Key: keyManifest, Data: manifest, Digest: digestOf(mdigest)},
			{Key: keyConfig, Data: rawCfg, Digest: digestOf(cfgName)},
		},
	}
	_, err = s.CreateImage(id, names, top, "", opts)
	if errors.Is(err, cstorage.ErrDuplicateName) {
		// A tag moved to this new image: create it unnamed, then AddNames
		// takes the names from the image that had them.
		_, err = s.CreateImage(id, nil, top, "", opts)
	}
	if err == nil || errors.Is(err, cstorage.ErrDuplicateID) {
		err = s.AddNames(id, names)
	}
	if err != nil {
		return "", fmt.Errorf("record image: %w", err)
	}
	return id, nil
}

// randomID is a fresh 64-hex id (container layers).
func randomID() string { return stringid.GenerateRandomID() }

// imageConfig reads the stored OCI config of image id.
func imageConfig(s cstorage.Store, id string) (v1.Config, error) {
	b, err := s.ImageBigData(id, keyConfig)
	if err != nil {
		return v1.Config{}, fmt.Errorf("read image config: %w", err)
	}
	var cf v1.ConfigFile
	if err := json.Unmarshal(b, &cf); err != nil {
		return v1.Config{}, fmt.Errorf("decode image config: %w", err)
	}
	return cf.Config, nil
}
