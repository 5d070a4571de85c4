package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/devbox-dev/devbox/regfile"
	"github.com/devbox-dev/devbox/slirpnet"
)

// Error is one problem in the configuration: in the file at Line:Col, or in
// a flag when File is empty.
type Error struct {
	File      string
	Line, Col int
	Flag      string
	Key       string
	Msg       string
}

func (e *Error) Error() string {
	if e.File == "" {
		return fmt.Sprintf("--%s: %s", e.Flag, e.Msg)
	}
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d:%d", e.File, e.Line, e.Col)
	}
	if e.Key == "" {
		return loc + ": " + e.Msg
	}
	return fmt.Sprintf("%s: %s: %s", loc, e.Key, e.Msg)
}

// Override is a value from the command line for a key: flags use the same
// parsing and checks as the file. Value is a string, as typed.
type Override struct {
	Flag  string
	Key   string
	Value string
}

// Load builds the Config for a project: defaults, then devbox.toml in the
// project directory if there is one, then the overrides in order, then the
// checks of key combinations. name is how the file is shown in messages.
func Load(name string, ctx Context, overrides []Override) (Config, error) {
	c, err := LoadFile(name, ctx)
	if err != nil {
		return c, err
	}
	if err := Apply(&c, ctx, overrides); err != nil {
		return c, err
	}
	return c, c.Check()
}

// LoadFile is the file's own config over the defaults, each key checked
// but not their combination, which flags may still change (ports in the
// file with --network pasta over network = "host"): the join check's
// record of what devbox.toml says.
func LoadFile(name string, ctx Context) (Config, error) {
	c, _, err := LoadFileDigest(name, ctx)
	return c, err
}

// LoadFileDigest is LoadFile plus the load's digest: equal digests mean
// equal configs (see digester).
func LoadFileDigest(name string, ctx Context) (Config, string, error) {
	c, sum, _, err := LoadFileRecorded(name, ctx)
	return c, sum, err
}

// LoadFileRecorded is LoadFileDigest plus the names of the host variables
// the load looked up, sorted: with the file, the project and the home,
// they are what a later load's digest (digest.Sum) is computed from.
func LoadFileRecorded(name string, ctx Context) (Config, string, []string, error) {
	var d digester
	path := filepath.Join(ctx.Project, FileName)
	data, err := regfile.Read(path, MaxFileSize)
	switch {
	case err == nil:
		c, err := Parse(data, name, d.wrap(ctx))
		return c, d.sum(data, ctx), d.names(), err
	case errors.Is(err, regfile.ErrTooLarge):
		fi, _ := os.Stat(path)
		size := int64(MaxFileSize + 1)
		if fi != nil {
			size = fi.Size()
		}
		return Defaults(), "", nil, tooLarge(name, size)
	case !errors.Is(err, os.ErrNotExist):
		return Defaults(), "", nil, fmt.Errorf("read %s: %w", name, err)
	}
	return Defaults(), d.sum(nil, ctx), nil, nil
}

// Check validates what no single key can: combinations of keys, once the
// file and the flags are both applied.
func (c Config) Check() error {
	if c.Security == SecurityStrict {
		return c.checkStrict()
	}
	if d, err := slirpnet.ParseDriver(c.Network); err == nil && len(c.Ports) > 0 && !d.IsZero() && !d.Ports() {
		return fmt.Errorf("published ports need network %s, not %s", strings.Join(slirpnet.PortNames(), " or "), c.Network)
	}
	if !c.Egress.Empty() {
		return fmt.Errorf("[egress] and --allow apply to security = \"strict\" only (this sandbox's is %q); set security = \"strict\" or remove them", c.Security)
	}
	if c.RequireStrict {
		return fmt.Errorf("require_strict and --require-strict apply to security = \"strict\" only (this sandbox's is %q); set security = \"strict\" or remove them", c.Security)
	}
	if len(c.Protect) > 0 || !c.ProtectDefaults || c.GitWrites {
		return fmt.Errorf("protect, protect_defaults and git_writes apply to security = \"strict\" only (this sandbox's is %q; the other profiles protect devbox's own config files only); set security = \"strict\" or remove them", c.Security)
	}
	return nil
}

// checkStrict: a strict sandbox has its own network namespace whose one
// way out is devbox's proxy, so it takes no other network and publishes
// no ports.
func (c Config) checkStrict() error {
	if c.Network != "" && c.Network != slirpnet.None.Name() {
		return fmt.Errorf("security = \"strict\" has its own network (no route out but devbox's proxy); remove network = %q and --network, or use security = \"default\"", c.Network)
	}
	if len(c.Ports) > 0 {
		return errors.New("security = \"strict\" publishes no ports; remove ports and -p, or use security = \"default\"")
	}
	return nil
}

// LimitsFrom applies limit overrides (--memory and the like, checked as
// Load checks them) to no limits: the change 'devbox update' asks for.
func LimitsFrom(overrides []Override) (Limits, error) {
	var c Config
	err := Apply(&c, Context{}, overrides)
	return c.Limits, err
}

// Apply sets the overrides on c, in order.
func Apply(c *Config, ctx Context, overrides []Override) error {
	var errs []error
	for _, o := range overrides {
		k, ok := lookupKey(o.Key)
		if !ok {
			return fmt.Errorf("apply --%s: no config key %q", o.Flag, o.Key)
		}
		if err := k.set(c, flagValue(o.Value), ctx); err != nil {
			// A flag sets one field of a table key (--memory is limits.memory):
			// the flag's name already says which.
			var fe *fieldError
			if errors.As(err, &fe) && fe.index == 0 {
				err = fe.err
			}
			errs = append(errs, &Error{Flag: o.Flag, Msg: err.Error()})
		}
	}
	return errors.Join(errs...)
}

// Parse reads devbox.toml content over the defaults. Every problem is
// reported, each with its position; nothing is returned half-configured.
func Parse(data []byte, name string, ctx Context) (Config, error) {
	if err := checkBounds(data, name); err != nil {
		return Defaults(), err
	}
	c := Defaults()
	var raw map[string]any
	md, err := toml.Decode(string(data), &raw)
	if err != nil {
		return Defaults(), syntaxError(err, name)
	}
	var errs []error
	for _, k := range topLevel(md) {
		if len(errs) == maxErrors {
			errs = append(errs, &Error{File: name, Msg: "too many problems; fix these first"})
			break
		}
		key, ok := lookupKey(k)
		if !ok {
			errs = append(errs, posError(data, name, &md, []string{k}, 0, "", unknownKey(k, Keys()).Error()))
			continue
		}
		if err := key.set(&c, raw[k], ctx); err != nil {
			errs = append(errs, valueError(data, name, &md, k, err))
		}
	}
	if len(errs) > 0 {
		return Defaults(), errors.Join(errs...)
	}
	return c, nil
}

// topLevel returns the top-level keys in file order.
func topLevel(md toml.MetaData) []string {
	var out []string
	seen := map[string]bool{}
	for _, k := range md.Keys() {
		if !seen[k[0]] {
			seen[k[0]] = true
			out = append(out, k[0])
		}
	}
	return out
}

func syntaxError(err error, name string) error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		msg := pe.Message
		if pe.LastKey != "" {
			msg += fmt.Sprintf(" (after key %q)", pe.LastKey)
		}
		return &Error{File: name, Line: pe.Position.Line, Col: max(pe.Position.Col, 1), Msg: "invalid TOML: " + msg}
	}
	return &Error{File: name, Msg: "invalid TOML: " + err.Error()}
}

// valueError points at the failing field of a table or array element when
// the setter says which one, else at the key's value.
func valueError(data []byte, name string, md *toml.MetaData, k string, err error) error {
	var fe *fieldError
	if errors.As(err, &fe) {
		label := k + "." + fe.field
		if fe.index > 0 {
			label = fmt.Sprintf("%s[%d]", k, fe.index)
			if fe.field != "" {
				label += "." + fe.field
			}
		}
		path := []string{k}
		if fe.field != "" {
			path = append(path, fe.field)
		}
		return posError(data, name, md, path, fe.index, label, fe.err.Error())
	}
	return posError(data, name, md, []string{k}, 0, k, err.Error())
}

func posError(data []byte, name string, md *toml.MetaData, path []string, index int, label, msg string) error {
	line, col := locate(data, md, path, index)
	return &Error{File: name, Line: line, Col: col, Key: label, Msg: msg}
}

// locate finds where a key's value is. The TOML decoder knows every key's
// position but only reveals it in the errors it returns, so a probe type
// that always fails to decode is placed at path. The decoder keeps one
// position per key path, so for the Nth element of an array of tables the
// Nth [[header]] is found by scanning instead.
func locate(data []byte, md *toml.MetaData, path []string, index int) (int, int) {
	if index > 0 && md.Type(path[0]) == "ArrayHash" {
		if line, col := scanArrayTable(string(data), path, index); line > 0 {
			return line, col
		}
	}
	for len(path) > 0 {
		if line, col, ok := probeAt(data, md, path); ok {
			return line, col
		}
		path = path[:len(path)-1]
	}
	return 0, 0
}

type probe struct{}

var errProbe = errors.New("probe")

func (probe) UnmarshalTOML(any) error { return errProbe }

func probeAt(data []byte, md *toml.MetaData, path []string) (int, int, bool) {
	t := reflect.TypeOf(probe{})
	for i := len(path) - 1; i >= 0; i-- {
		if i < len(path)-1 && md.Type(path[:i+1]...) == "ArrayHash" {
			t = reflect.SliceOf(t)
		}
		t = reflect.StructOf([]reflect.StructField{{
			Name: "F", Type: t, Tag: reflect.StructTag("toml:" + strconv.Quote(path[i])),
		}})
	}
	v := reflect.New(t)
	_, err := toml.Decode(string(data), v.Interface())
	var pe toml.ParseError
	if errors.As(err, &pe) && pe.Position.Line > 0 {
		col := max(pe.Position.Col, 1)
		// A string's or array's position is just inside it; point at its start.
		if s := pe.Position.Start; s > 0 && s <= len(data) && strings.IndexByte("\"'[", data[s-1]) >= 0 {
			col = max(col-1, 1)
		}
		return pe.Position.Line, col, true
	}
	return 0, 0, false
}

// scanArrayTable finds the index-th [[name]] header and, when a field is
// given, that field's line in the section.
func scanArrayTable(src string, path []string, index int) (int, int) {
	header := "[[" + path[0] + "]]"
	lines := strings.Split(src, "\n")
	n := 0
	for i, l := range lines {
		if strings.ReplaceAll(strings.TrimSpace(l), " ", "") != header {
			continue
		}
		if n++; n != index {
			continue
		}
		if len(path) == 1 {
			return i + 1, strings.Index(l, "[") + 1
		}
		for j := i + 1; j < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[j]), "["); j++ {
			t := strings.TrimSpace(lines[j])
			if k, _, ok := strings.Cut(t, "="); ok && strings.TrimSpace(k) == path[1] {
				return j + 1, strings.Index(lines[j], "=") + 2 + countSpaces(lines[j][strings.Index(lines[j], "=")+1:])
			}
		}
		return i + 1, strings.Index(l, "[") + 1
	}
	return 0, 0
}

func countSpaces(s string) int {
	return len(s) - len(strings.TrimLeft(s, " \t"))
}
