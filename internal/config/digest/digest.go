// Package digest identifies one load of devbox.toml: the file's bytes (or
// their absence), the project and home it was read for, each host
// variable it looked up, and the devbox build that parsed it. internal/config
// records a load's digest, and the fast join of cmd/devbox, which does not
// parse devbox.toml, computes the digest of the load it would make to
// tell that it is the load a join ticket was written for.
//
// It runs on the host, in the client.
package digest

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"

	"github.com/devbox-dev/devbox/internal/state"
)

// Lookup is how a load records the lookup of a host variable that gave v
// (ok false: unset).
func Lookup(v string, ok bool) string {
	return strconv.FormatBool(ok) + ":" + strconv.Quote(v)
}

// Sum returns the digest of a load of data (nil: no file) for project and
// home, whose lookups (by name, each as Lookup records it) the load made.
// It writes what fmt's %q and %d would without fmt: a join computes it on
// every run, and fmt's first use was a tenth of a millisecond of it.
func Sum(data []byte, project, home string, lookups map[string]string) string {
	b := make([]byte, 0, 512)
	b = append(b, "devbox config digest 1\nbuild "...)
	b = append(b, BuildID()...)
	b = append(b, "\nproject "...)
	b = strconv.AppendQuote(b, project)
	b = append(b, "\nhome "...)
	b = strconv.AppendQuote(b, home)
	b = append(b, '\n')
	if data == nil {
		b = append(b, "file absent\n"...)
	} else {
		b = append(b, "file "...)
		b = strconv.AppendInt(b, int64(len(data)), 10)
		b = append(b, '\n')
		b = append(b, data...)
	}
	keys := make([]string, 0, len(lookups))
	for k := range lookups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b = append(b, "\nenv "...)
		b = strconv.AppendQuote(b, k)
		b = append(b, ' ')
		b = append(b, lookups[k]...)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// BuildID identifies the devbox build by the identity of its two client
// binaries, devbox (the front) and devbox-engine, in the running binary's
// directory: both parse devbox.toml, and both compute the same ID, so a
// digest one of them recorded holds for the other. "" when unknown, which
// still digests consistently within one build.
func BuildID() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	return BuildIDIn(filepath.Dir(exe))
}

// BuildIDIn is BuildID for the binaries in dir.
func BuildIDIn(dir string) string {
	id := ""
	for _, name := range []string{state.FrontName, state.EngineName} {
		p := filepath.Join(dir, name)
		var st syscall.Stat_t
		if syscall.Stat(p, &st) != nil {
			id += p + " absent\n"
			continue
		}
		id += p + " " + strconv.FormatUint(uint64(st.Dev), 10) + ":" + strconv.FormatUint(uint64(st.Ino), 10) + " " +
			strconv.FormatInt(int64(st.Size), 10) + " " + strconv.FormatInt(int64(st.Mtim.Sec), 10) + "." + strconv.FormatInt(int64(st.Mtim.Nsec), 10) + "\n"
	}
	return id
}
