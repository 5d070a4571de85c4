package config

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

// digester records what one load of devbox.toml depends on: the file's
// bytes (or their absence), the project and home it was read for, each host
// variable it looked up, and the devbox build that parsed it (a new build
// may parse or default differently). Two loads with one digest give one
// Config, so a trust record stored with a digest approves a load with the
// same digest without decoding and comparing whole configs: the common
// join's trust check costs one small read.
type digester struct {
	lookups map[string]string
}

// wrap returns ctx with LookupEnv recording each lookup.
func (d *digester) wrap(ctx Context) Context {
	if ctx.LookupEnv == nil {
		return ctx
	}
	inner := ctx.LookupEnv
	ctx.LookupEnv = func(k string) (string, bool) {
		v, ok := inner(k)
		if d.lookups == nil {
			d.lookups = map[string]string{}
		}
		d.lookups[k] = strconv.FormatBool(ok) + ":" + strconv.Quote(v)
		return v, ok
	}
	return ctx
}

// sum returns the digest of a load of data (nil: no file) for ctx. It
// writes what fmt's %q and %d would without fmt: a join computes it on
// every run, and fmt's first use was a tenth of a millisecond of it.
func (d *digester) sum(data []byte, ctx Context) string {
	b := make([]byte, 0, 512)
	b = append(b, "devbox config digest 1\nbuild "...)
	b = append(b, buildID()...)
	b = append(b, "\nproject "...)
	b = strconv.AppendQuote(b, ctx.Project)
	b = append(b, "\nhome "...)
	b = strconv.AppendQuote(b, ctx.Home)
	b = append(b, '\n')
	if data == nil {
		b = append(b, "file absent\n"...)
	} else {
		b = append(b, "file "...)
		b = strconv.AppendInt(b, int64(len(data)), 10)
		b = append(b, '\n')
		b = append(b, data...)
	}
	keys := make([]string, 0, len(d.lookups))
	for k := range d.lookups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b = append(b, "\nenv "...)
		b = strconv.AppendQuote(b, k)
		b = append(b, ' ')
		b = append(b, d.lookups[k]...)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// buildID identifies the devbox build by the identity of its two client
// binaries, devbox (the front) and devbox-engine, in the running binary's
// directory: both parse devbox.toml, and both compute the same ID, so a
// digest one of them recorded holds for the other. "" when unknown, which
// still digests consistently within one build.
func buildID() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	return buildIDIn(filepath.Dir(exe))
}

// buildIDIn is buildID for the binaries in dir.
func buildIDIn(dir string) string {
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
