package config

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
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
		d.lookups[k] = fmt.Sprintf("%t:%q", ok, v)
		return v, ok
	}
	return ctx
}

// sum returns the digest of a load of data (nil: no file) for ctx.
func (d *digester) sum(data []byte, ctx Context) string {
	h := sha256.New()
	fmt.Fprintf(h, "devbox config digest 1\nbuild %s\nproject %q\nhome %q\n", buildID(), ctx.Project, ctx.Home)
	if data == nil {
		fmt.Fprintf(h, "file absent\n")
	} else {
		fmt.Fprintf(h, "file %d\n", len(data))
		h.Write(data)
	}
	keys := make([]string, 0, len(d.lookups))
	for k := range d.lookups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(h, "\nenv %q %s", k, d.lookups[k])
	}
	return hex.EncodeToString(h.Sum(nil))
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
	dir := filepath.Dir(exe)
	id := ""
	for _, name := range []string{state.FrontName, state.EngineName} {
		p := filepath.Join(dir, name)
		var st syscall.Stat_t
		if syscall.Stat(p, &st) != nil {
			id += p + " absent\n"
			continue
		}
		id += fmt.Sprintf("%s %d:%d %d %d.%d\n", p, st.Dev, st.Ino, st.Size, st.Mtim.Sec, st.Mtim.Nsec)
	}
	return id
}
