package review

// The content verdicts of earlier diffs. A sandbox that copied up many
// files without changing them (a formatter that rewrites every file, a
// chmod -R) makes each diff read all of them, and the real files, again.
// So a diff keeps, beside the upper layer, which copied files it found
// equal to the real ones, with both files' identity: inode, size, mtime
// and ctime. The next diff takes a file as unchanged when both identities
// are still the same, and compares the rest. No write leaves ctime alone
// and ctime cannot be set (not even by root in the sandbox's user
// namespace), so an edit on either side, a replacement or a file made
// again under a reused inode number is always compared afresh. A verdict
// is kept only for files whose ctimes are well before the diff began:
// one written meanwhile, or within a file system timestamp's granularity
// of the comparison, could show its old ctime with new content.
//
// The file lives in the sandbox's data dir, which no sandbox sees. It is a
// cache: one that is missing, unreadable or malformed is no verdict at all.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// sameMagic starts the file; another version is read as no verdicts.
const sameMagic = "devbox review same-content v1\n"

// sameMargin is how long before the diff began a file's ctime must be for
// its verdict to be kept.
const sameMargin = 2 * time.Second

// fileID is what identifies one version of a file.
type fileID struct {
	Ino                uint64
	Size, Mtime, Ctime int64
}

func fileIDOf(st *unix.Stat_t) fileID {
	return fileID{Ino: st.Ino, Size: st.Size, Mtime: st.Mtim.Nano(), Ctime: st.Ctim.Nano()}
}

// samePair is an upper file and the real file it was found equal to.
type samePair struct{ Upper, Real fileID }

// sameCache holds the verdicts read at the start of a diff (old) and the
// ones that still hold or are new (now), which the diff writes back.
type sameCache struct {
	before int64 // ns since the epoch: kept verdicts have older ctimes
	old    map[string]samePair
	mu     sync.Mutex
	now    map[string]samePair
	reads  atomic.Int64 // files compared by their content
}

func (l Layer) sameFile() string { return filepath.Join(l.Dir, "same-content") }

// loadSame reads the layer's verdicts for a diff starting now.
func (l Layer) loadSame() *sameCache {
	c := &sameCache{before: time.Now().Add(-sameMargin).UnixNano()}
	if b, err := os.ReadFile(l.sameFile()); err == nil {
		c.old, _ = decodeSame(b)
	}
	c.now = make(map[string]samePair, len(c.old)) // most verdicts hold again
	return c
}

// sameContent is the package's sameContent, answered from the verdicts
// when both files are as they were.
func (c *sameCache) sameContent(project, upperDir dirRef, rel string, real, upper unix.Stat_t) (bool, error) {
	if c == nil {
		return sameContent(project, upperDir, rel, real.Size, upper.Size)
	}
	p := samePair{Upper: fileIDOf(&upper), Real: fileIDOf(&real)}
	if old, ok := c.old[rel]; ok && old == p {
		c.keep(rel, p)
		return true, nil
	}
	c.reads.Add(1)
	same, err := sameContent(project, upperDir, rel, real.Size, upper.Size)
	if same && err == nil && p.Upper.Ctime < c.before && p.Real.Ctime < c.before {
		c.keep(rel, p)
	}
	return same, err
}

func (c *sameCache) keep(rel string, p samePair) {
	c.mu.Lock()
	c.now[rel] = p
	c.mu.Unlock()
}

// save writes the verdicts back when they changed. A failure to write is
// no failure of the diff: the next one compares again.
func (l Layer) saveSame(c *sameCache) {
	if sameVerdicts(c.old, c.now) {
		return
	}
	tmp := l.sameFile() + ".tmp"
	if err := os.WriteFile(tmp, encodeSame(c.now), 0o600); err != nil {
		os.Remove(tmp)
		return
	}
	if err := os.Rename(tmp, l.sameFile()); err != nil {
		os.Remove(tmp)
	}
}

func sameVerdicts(a, b map[string]samePair) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// encodeSame writes the magic line, then per verdict the path's length
// (uvarint), the path, and the two identities as eight little-endian
// 64-bit numbers.
func encodeSame(m map[string]samePair) []byte {
	b := []byte(sameMagic)
	for rel, p := range m {
		b = binary.AppendUvarint(b, uint64(len(rel)))
		b = append(b, rel...)
		for _, id := range [2]fileID{p.Upper, p.Real} {
			b = binary.LittleEndian.AppendUint64(b, id.Ino)
			b = binary.LittleEndian.AppendUint64(b, uint64(id.Size))
			b = binary.LittleEndian.AppendUint64(b, uint64(id.Mtime))
			b = binary.LittleEndian.AppendUint64(b, uint64(id.Ctime))
		}
	}
	return b
}

// errSameFormat is a verdict file that is not encodeSame's.
var errSameFormat = errors.New("malformed same-content file")

// decodeSame reads encodeSame's bytes; anything else is an error and no
// verdicts.
func decodeSame(b []byte) (map[string]samePair, error) {
	if !bytes.HasPrefix(b, []byte(sameMagic)) {
		return nil, errSameFormat
	}
	b = b[len(sameMagic):]
	m := map[string]samePair{}
	for len(b) > 0 {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) || n == 0 {
			return nil, errSameFormat
		}
		rel := string(b[k : k+int(n)])
		b = b[k+int(n):]
		if len(b) < 64 {
			return nil, fmt.Errorf("%w: %q cut short", errSameFormat, rel)
		}
		var ids [2]fileID
		for i := range ids {
			ids[i] = fileID{
				Ino:   binary.LittleEndian.Uint64(b[0:]),
				Size:  int64(binary.LittleEndian.Uint64(b[8:])),
				Mtime: int64(binary.LittleEndian.Uint64(b[16:])),
				Ctime: int64(binary.LittleEndian.Uint64(b[24:])),
			}
			b = b[32:]
		}
		m[rel] = samePair{Upper: ids[0], Real: ids[1]}
	}
	return m, nil
}
