package storage

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
	"time"
)

// LayerOptions shape a reproducible layer tarball (see WriteLayer).
type LayerOptions struct {
	// Epoch is every entry's modification time.
	Epoch time.Time
	// Exclude are absolute paths inside the image: the entry, its subtree,
	// its whiteout and the directories that exist only to lead to it are
	// dropped (devbox's own mount points in a sandbox's layer).
	Exclude []string
	// Owner, when set, owns every entry (the project layer).
	Owner *Owner
}

// Owner is a numeric uid and gid.
type Owner struct{ UID, GID int }

// layerEntry is one tar entry whose content lies in the spool file.
type layerEntry struct {
	hdr    *tar.Header
	name   string // clean, relative, no trailing slash
	offset int64
}

// WriteLayer copies the tar stream in to out reproducibly: entries sorted
// by name (parents first), one fixed time, no user or group names, no
// access or change times, no overlay xattrs, and hard links pointing at
// an entry earlier in the stream. spool holds the contents meanwhile.
func WriteLayer(in io.Reader, out io.Writer, spool *os.File, o LayerOptions) error {
	entries, err := spoolEntries(in, spool)
	if err != nil {
		return err
	}
	entries = filterExcluded(entries, o.Exclude)
	sort.Slice(entries, func(i, j int) bool { return entries[i].name < entries[j].name })
	relinkHardLinks(entries)
	tw := tar.NewWriter(out)
	for _, e := range entries {
		if err := writeEntry(tw, spool, e, o); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("write layer: %w", err)
	}
	return nil
}

// spoolEntries reads every header and appends the contents to spool.
func spoolEntries(in io.Reader, spool *os.File) ([]layerEntry, error) {
	tr := tar.NewReader(in)
	var out []layerEntry
	seen := map[string]int{}
	var off int64
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read layer: %w", err)
		}
		name := layerName(h.Name)
		if name == "" {
			continue // the layer's root
		}
		n, err := io.Copy(spool, tr)
		if err != nil {
			return nil, fmt.Errorf("spool layer entry %s: %w", name, err)
		}
		e := layerEntry{hdr: h, name: name, offset: off}
		off += n
		if i, dup := seen[name]; dup {
			out[i] = e // the later entry wins, as on extraction
			continue
		}
		seen[name] = len(out)
		out = append(out, e)
	}
}

func layerName(n string) string {
	n = path.Clean("/" + n)
	return strings.TrimPrefix(n, "/")
}

// whiteoutTarget is the path a whiteout entry removes ("" for other
// entries); an opaque marker stands for its directory.
func whiteoutTarget(name string) string {
	dir, base := path.Split(name)
	switch {
	case base == ".wh..wh..opq":
		return strings.TrimSuffix(dir, "/")
	case strings.HasPrefix(base, ".wh."):
		return dir + strings.TrimPrefix(base, ".wh.")
	}
	return ""
}

// filterExcluded drops excluded entries, then the directories that are
// ancestors of an exclusion and hold nothing that stays.
func filterExcluded(entries []layerEntry, exclude []string) []layerEntry {
	if len(exclude) == 0 {
		return entries
	}
	var ex []string
	for _, p := range exclude {
		if c := layerName(p); c != "" {
			ex = append(ex, c)
		}
	}
	var kept []layerEntry
	for _, e := range entries {
		target := e.name
		if w := whiteoutTarget(e.name); w != "" {
			target = w
		}
		if !under(target, ex) {
			kept = append(kept, e)
		}
	}
	var out []layerEntry
	for _, e := range kept {
		if e.hdr.Typeflag == tar.TypeDir && leadsTo(e.name, ex) && !holdsKept(e.name, kept) {
			continue
		}
		out = append(out, e)
	}
	return out
}

// under reports whether name is one of paths or inside one.
func under(name string, paths []string) bool {
	for _, p := range paths {
		if name == p || strings.HasPrefix(name, p+"/") {
			return true
		}
	}
	return false
}

// leadsTo reports whether dir is an ancestor of one of paths.
func leadsTo(dir string, paths []string) bool {
	for _, p := range paths {
		if strings.HasPrefix(p, dir+"/") {
			return true
		}
	}
	return false
}

func holdsKept(dir string, kept []layerEntry) bool {
	for _, e := range kept {
		if strings.HasPrefix(e.name, dir+"/") {
			return true
		}
	}
	return false
}

// relinkHardLinks makes the first name of each hard-link group (in the
// sorted order) the one that carries the content, so every link points
// backwards as extraction needs.
func relinkHardLinks(entries []layerEntry) {
	index := map[string]int{}
	for i, e := range entries {
		index[e.name] = i
	}
	first := map[string]string{} // original target -> first name in the group
	for i := range entries {
		e := &entries[i]
		if e.hdr.Typeflag != tar.TypeLink {
			continue
		}
		target := layerName(e.hdr.Linkname)
		t, ok := index[target]
		if !ok || entries[t].hdr.Typeflag != tar.TypeReg {
			continue // a link into a lower layer
		}
		if f, done := first[target]; done {
			e.hdr.Linkname = f
			continue
		}
		if t < i {
			first[target] = target
			e.hdr.Linkname = target
			continue
		}
		// This link sorts before its target: swap the roles.
		content := entries[t]
		link := *e.hdr
		reg := *content.hdr
		reg.Name = e.hdr.Name
		e.hdr, e.offset = &reg, content.offset
		link.Name, link.Linkname = content.hdr.Name, e.name
		entries[t].hdr = &link
		first[target] = e.name
	}
}

// writeEntry writes e with normalised metadata and its spooled content.
func writeEntry(tw *tar.Writer, spool *os.File, e layerEntry, o LayerOptions) error {
	h := normalHeader(e, o)
	if err := tw.WriteHeader(h); err != nil {
		return fmt.Errorf("write layer entry %s: %w", e.name, err)
	}
	if h.Typeflag != tar.TypeReg || h.Size == 0 {
		return nil
	}
	if _, err := io.Copy(tw, io.NewSectionReader(spool, e.offset, h.Size)); err != nil {
		return fmt.Errorf("write layer entry %s: %w", e.name, err)
	}
	return nil
}

func normalHeader(e layerEntry, o LayerOptions) *tar.Header {
	in := e.hdr
	h := &tar.Header{
		Typeflag: in.Typeflag,
		Name:     e.name,
		Linkname: in.Linkname,
		Size:     in.Size,
		Mode:     in.Mode,
		Uid:      in.Uid,
		Gid:      in.Gid,
		ModTime:  o.Epoch.UTC(),
		Devmajor: in.Devmajor,
		Devminor: in.Devminor,
	}
	switch in.Typeflag {
	case tar.TypeDir:
		h.Name += "/"
	case tar.TypeLink:
		h.Linkname = layerName(in.Linkname)
	}
	if in.Typeflag == tar.TypeRegA {
		h.Typeflag = tar.TypeReg
	}
	if h.Typeflag != tar.TypeReg {
		h.Size = 0
	}
	if o.Owner != nil {
		h.Uid, h.Gid = o.Owner.UID, o.Owner.GID
	}
	h.PAXRecords = keptXattrs(in.PAXRecords)
	if len(h.PAXRecords) > 0 {
		h.Format = tar.FormatPAX
	}
	return h
}

// keptXattrs keeps extended attributes other than the storage drivers'
// own (overlay's opaque and redirect marks, fuse-overlayfs's).
func keptXattrs(recs map[string]string) map[string]string {
	var out map[string]string
	for k, v := range recs {
		attr, ok := strings.CutPrefix(k, "SCHILY.xattr.")
		if !ok || strings.HasPrefix(attr, "trusted.overlay.") || strings.HasPrefix(attr, "user.overlay.") ||
			strings.HasPrefix(attr, "user.fuseoverlayfs.") || attr == "security.selinux" {
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		out[k] = v
	}
	return out
}
