package config

import (
	"sort"

	"github.com/devbox-dev/devbox/internal/config/digest"
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
		d.lookups[k] = digest.Lookup(v, ok)
		return v, ok
	}
	return ctx
}

// sum returns the digest of a load of data (nil: no file) for ctx.
func (d *digester) sum(data []byte, ctx Context) string {
	return digest.Sum(data, ctx.Project, ctx.Home, d.lookups)
}

// names are the host variables the load looked up, sorted.
func (d *digester) names() []string {
	out := make([]string, 0, len(d.lookups))
	for k := range d.lookups {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
