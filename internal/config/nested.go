package config

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/devbox-dev/devbox/cgroupv2"
	"github.com/devbox-dev/devbox/internal/egress"
)

// fieldError is a problem with one field of a table value (a mount's source,
// a limit); the loader points at that field rather than at the table.
type fieldError struct {
	index int    // 1-based element of an array, 0 for none
	field string // key inside the table
	err   error
}

func (e *fieldError) Error() string {
	if e.index > 0 {
		return fmt.Sprintf("[%d].%s: %v", e.index, e.field, e.err)
	}
	return fmt.Sprintf("%s: %v", e.field, e.err)
}

func (e *fieldError) Unwrap() error { return e.err }

var mountFields = []string{"source", "target", "read_only"}

// setMounts takes an array of tables {source, target, read_only} or of
// "SOURCE:TARGET[:ro]" strings (the flag form).
func setMounts(c *Config, v any, ctx Context) error {
	var elems []any
	switch x := v.(type) {
	case []map[string]any:
		for _, m := range x {
			elems = append(elems, m)
		}
	case []any:
		elems = x
	case flagValue:
		elems = []any{string(x)}
	default:
		return wrongType("an array of tables [[mounts]] with source, target and read_only", v)
	}
	var out []Mount
	for i, e := range elems {
		m, err := parseMount(e, ctx)
		if err != nil {
			var fe *fieldError
			if errors.As(err, &fe) {
				fe.index = i + 1
				return fe
			}
			return fmt.Errorf("element %d: %w", i+1, err)
		}
		out = append(out, m)
	}
	c.Mounts = append(c.Mounts, out...)
	return nil
}

func parseMount(e any, ctx Context) (Mount, error) {
	var m Mount
	switch x := e.(type) {
	case string:
		if isMountOpts(x) {
			mo, err := parseMountOpts(x)
			if err != nil {
				return m, err
			}
			return resolveMount(mo, ctx)
		}
		parts := strings.Split(x, ":")
		if len(parts) < 2 || len(parts) > 3 || (len(parts) == 3 && parts[2] != "ro" && parts[2] != "rw") {
			return m, fmt.Errorf("invalid mount %q: want SOURCE:TARGET[:ro]", x)
		}
		m = Mount{Source: parts[0], Target: parts[1], ReadOnly: len(parts) == 3 && parts[2] == "ro"}
	case map[string]any:
		if err := mountTable(&m, x); err != nil {
			return m, err
		}
	default:
		return m, wrongType("a table with source, target and read_only", e)
	}
	return resolveMount(m, ctx)
}

// mountOptKeys are the fields of the --mount form, as docker run --mount
// names them.
var mountOptKeys = []string{"type", "source", "src", "target", "destination", "dst", "readonly", "ro"}

// isMountOpts tells the --mount form (type=bind,source=...,target=...)
// from SOURCE:TARGET[:ro]: its first field is KEY=VALUE with a known key.
func isMountOpts(s string) bool {
	first, _, _ := strings.Cut(s, ",")
	k, _, ok := strings.Cut(first, "=")
	return ok && slices.Contains(mountOptKeys, k)
}

// parseMountOpts parses type=bind,source=SRC,target=DST[,readonly].
func parseMountOpts(s string) (Mount, error) {
	var m Mount
	usage := "want type=bind,source=SRC,target=DST[,readonly]"
	for _, f := range strings.Split(s, ",") {
		k, v, hasValue := strings.Cut(f, "=")
		switch k {
		case "type":
			if v != "bind" {
				return m, fmt.Errorf("invalid mount %q: type %q is not supported, only bind; %s", s, v, usage)
			}
		case "source", "src":
			m.Source = v
		case "target", "destination", "dst":
			m.Target = v
		case "readonly", "ro":
			m.ReadOnly = true
			if hasValue {
				b, err := strconv.ParseBool(v)
				if err != nil {
					return m, fmt.Errorf("invalid mount %q: %s=%q is not true or false", s, k, v)
				}
				m.ReadOnly = b
			}
		default:
			return m, fmt.Errorf("invalid mount %q: unknown field %q; %s", s, k, usage)
		}
	}
	if m.Source == "" || m.Target == "" {
		return m, fmt.Errorf("invalid mount %q: a mount needs source and target; %s", s, usage)
	}
	return m, nil
}

func mountTable(m *Mount, t map[string]any) error {
	for _, k := range sortedKeys(t) {
		var err error
		switch k {
		case "source":
			err = setString(&m.Source, t[k], nonEmpty)
		case "target":
			err = setString(&m.Target, t[k], nonEmpty)
		case "read_only":
			err = setBool(&m.ReadOnly, t[k])
		default:
			err = unknownKey(k, mountFields)
		}
		if err != nil {
			return &fieldError{field: k, err: err}
		}
	}
	for _, k := range []string{"source", "target"} {
		if _, ok := t[k]; !ok {
			return &fieldError{err: fmt.Errorf("missing %q (a mount needs source and target)", k)}
		}
	}
	return nil
}

// resolveMount makes the source absolute (~ is the user's home, relative
// paths are from the project directory), checks that it exists, and makes
// the target absolute (~ is the home inside).
func resolveMount(m Mount, ctx Context) (Mount, error) {
	m.Source = expandPath(m.Source, ctx.Home, ctx.Project)
	if _, err := os.Stat(m.Source); err != nil {
		return m, &fieldError{field: "source", err: fmt.Errorf("mount source %s does not exist on the host", m.Source)}
	}
	if strings.HasPrefix(m.Target, "~") {
		m.Target = expandPath(m.Target, ctx.Home, ctx.Project)
	}
	if !filepath.IsAbs(m.Target) {
		return m, &fieldError{field: "target", err: fmt.Errorf("invalid target %q: want an absolute path inside, or ~/...", m.Target)}
	}
	m.Target = filepath.Clean(m.Target)
	return m, nil
}

func expandPath(p, home, base string) string {
	if p == "~" {
		return home
	}
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		return filepath.Join(home, rest)
	}
	if !filepath.IsAbs(p) {
		return filepath.Join(base, p)
	}
	return filepath.Clean(p)
}

var limitFields = []string{"memory", "memory_swap", "pids", "cpus", "cpu_weight", "required"}

// setLimits takes the [limits] table; each field may also come alone from a
// flag as "field=value".
func setLimits(c *Config, v any, _ Context) error {
	if s, ok := v.(flagValue); ok {
		k, val, _ := strings.Cut(string(s), "=")
		v = map[string]any{k: val}
	}
	t, ok := v.(map[string]any)
	if !ok {
		return wrongType("a table [limits]", v)
	}
	for _, k := range sortedKeys(t) {
		if err := setLimit(&c.Limits, k, t[k]); err != nil {
			return &fieldError{field: k, err: err}
		}
	}
	return nil
}

func setLimit(l *Limits, k string, v any) error {
	if k == "required" {
		return setBool(&l.Required, v)
	}
	text, err := limitText(v)
	if err != nil {
		return err
	}
	switch k {
	case "memory":
		l.Memory, err = parseMemory(text)
	case "memory_swap":
		var n int64
		if n, err = cgroupv2.ParseSize(text); err == nil {
			l.MemorySwap = &n
		}
	case "pids":
		l.Pids, err = cgroupv2.ParseCount(text)
	case "cpus":
		l.CPUs, err = cgroupv2.ParseCPUs(text)
	case "cpu_weight":
		l.CPUWeight, err = cgroupv2.ParseCPUWeight(text)
	default:
		err = unknownKey(k, limitFields)
	}
	return err
}

// parseMemory is memory.max: a size, or max; 0 is refused from the file as
// from --memory, since a group with no memory cannot run anything and
// "no limit" is written max.
func parseMemory(text string) (int64, error) {
	n, err := cgroupv2.ParseSize(text)
	if err == nil && n == 0 {
		return 0, errors.New("a limit of 0 bytes leaves nothing to run; use a size such as 512m, or max")
	}
	return n, err
}

// limitText turns a TOML number or string into the text form the cgroupv2
// parsers check, so a flag and the file are validated by the same code.
func limitText(v any) (string, error) {
	switch x := plain(v).(type) {
	case string:
		return x, nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	}
	return "", wrongType("a number or a string such as \"512m\"", v)
}

// unknownKey is the error for a key that is not one of valid, with the
// closest valid key as a suggestion.
func unknownKey(k string, valid []string) error {
	msg := fmt.Sprintf("unknown key %q", k)
	if best := closest(k, valid); best != "" {
		msg += fmt.Sprintf(": did you mean %q?", best)
	}
	return fmt.Errorf("%s (valid keys: %s)", msg, strings.Join(valid, ", "))
}

// closest returns the valid word nearest to s by edit distance, if it is
// close enough to be a likely typo.
func closest(s string, valid []string) string {
	best, bestD := "", math.MaxInt
	for _, v := range valid {
		if d := levenshtein(strings.ToLower(s), v); d < bestD {
			best, bestD = v, d
		}
	}
	if bestD <= max(2, len(s)/3) {
		return best
	}
	return ""
}

func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

var egressFields = []string{"allow", "deny", "allow_local"}

// setEgress takes the [egress] table; a flag gives one pattern as
// "allow=PATTERN" or "allow_local=PATTERN" (--allow, --allow-local). The
// file's lists replace the defaults (none); flags add to them.
func setEgress(c *Config, v any, _ Context) error {
	if s, ok := v.(flagValue); ok {
		k, val, _ := strings.Cut(string(s), "=")
		if err := checkPattern(val); err != nil {
			return &fieldError{field: k, err: err}
		}
		switch k {
		case "allow":
			c.Egress.Allow = append(c.Egress.Allow, val)
		case "allow_local":
			c.Egress.AllowLocal = append(c.Egress.AllowLocal, val)
		default:
			return &fieldError{field: k, err: unknownKey(k, egressFields)}
		}
		return nil
	}
	t, ok := v.(map[string]any)
	if !ok {
		return wrongType("a table [egress] with allow, deny and allow_local", v)
	}
	for _, k := range sortedKeys(t) {
		if err := setEgressList(&c.Egress, k, t[k]); err != nil {
			return &fieldError{field: k, err: err}
		}
	}
	return nil
}

func setEgressList(e *Egress, k string, v any) error {
	var dst *[]string
	switch k {
	case "allow":
		dst = &e.Allow
	case "deny":
		dst = &e.Deny
	case "allow_local":
		dst = &e.AllowLocal
	default:
		return unknownKey(k, egressFields)
	}
	list, err := stringList(v, "host patterns")
	if err != nil {
		return err
	}
	for _, p := range list {
		if err := checkPattern(p); err != nil {
			return err
		}
	}
	*dst = list
	return nil
}

func checkPattern(p string) error {
	if _, err := egress.ParseRule(p); err != nil {
		return fmt.Errorf("%w (want host, *.domain, or either with :port, e.g. \"github.com\", \"*.npmjs.org\", \"localhost:8080\")", err)
	}
	return nil
}
