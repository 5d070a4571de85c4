package proto

import (
	"encoding/json"
	"slices"
	"strconv"
	"time"

	"github.com/devbox-dev/devbox/cgroupv2"
)

// The launch spec without reflection. Every cold start encodes the Spec
// twice (the client to the supervisor, the supervisor to the child in
// NetReady) and decodes it twice, in three processes that each met the
// type for the first time: encoding/json's reflection over Spec and its
// nested types was 5-9% of each one's CPU (0.4-0.7 ms of a profile of 20
// starts, per process). Specs with the rare fields (an image root, an
// egress policy, CPU or swap limits) are left to encoding/json whole;
// the bytes written are encoding/json's own (specjson_test.go compares
// them, and fuzzes the reader against encoding/json's).

// MarshalSpec is json.Marshal(s).
func MarshalSpec(s Spec) ([]byte, error) {
	if b, ok := appendSpec(nil, s); ok {
		return b, nil
	}
	return json.Marshal(s)
}

// UnmarshalSpec is json.Unmarshal of b into a Spec.
func UnmarshalSpec(b []byte) (Spec, error) {
	if s, ok := decodeSpec(b); ok {
		return s, nil
	}
	var s Spec
	err := json.Unmarshal(b, &s)
	return s, err
}

// appendSpec appends s as encoding/json writes it; ok is false for a spec
// with a field it leaves to encoding/json.
func appendSpec(b []byte, s Spec) ([]byte, bool) {
	if s.Image != nil || s.Egress != nil || s.Limits.MemorySwap != nil || s.Limits.CPUs != 0 {
		return b, false
	}
	w := objectWriter{b: append(b, '{')}
	w.stringField("name", s.Name, false)
	w.stringField("hostname", s.Hostname, false)
	w.stringField("project_dir", s.ProjectDir, false)
	w.stringField("home", s.Home, false)
	w.stringField("home_source", s.HomeSource, false)
	w.boolField("home_tmpfs", s.HomeTmpfs)
	w.stringField("state_dir", s.StateDir, false)
	w.stringField("network", s.Network.Name(), false)
	w.stringsField("ports", s.Ports)
	w.boolField("allow_host_loopback", s.AllowHostLoopback)
	w.key("single_id")
	w.b = strconv.AppendBool(w.b, s.SingleID)
	w.boolField("cgroup", s.Cgroup)
	w.key("idle_timeout")
	w.b = strconv.AppendInt(w.b, int64(s.IdleTimeout), 10)
	if len(s.Mounts) > 0 {
		w.key("mounts")
		w.b = appendMounts(w.b, s.Mounts)
	}
	w.boolField("home_read_only", s.HomeReadOnly)
	w.stringField("security", s.Security, true)
	w.stringsField("hidden", s.Hidden)
	w.boolField("require_proc", s.RequireProc)
	if s.Review != nil {
		w.key("review")
		r := objectWriter{b: append(w.b, '{')}
		r.stringField("driver", s.Review.Driver, false)
		r.stringField("upper", s.Review.Upper, false)
		r.stringField("work", s.Review.Work, false)
		w.b = append(r.b, '}')
	}
	w.boolField("require_strict", s.RequireStrict)
	w.stringsField("protect", s.Protect)
	w.stringsField("deny_read", s.DenyRead)
	w.boolField("launch_session", s.LaunchSession)
	w.key("uid")
	w.b = strconv.AppendUint(w.b, uint64(s.UID), 10)
	w.key("gid")
	w.b = strconv.AppendUint(w.b, uint64(s.GID), 10)
	w.stringField("user", s.User, false)
	w.boolField("ephemeral", s.Ephemeral)
	w.key("limits")
	l := objectWriter{b: append(w.b, '{')}
	l.intField("memory", s.Limits.Memory)
	l.intField("pids", s.Limits.Pids)
	l.uintField("cpu_weight", s.Limits.CPUWeight)
	w.b = append(l.b, '}')
	w.boolField("require_limits", s.RequireLimits)
	w.stringField("scope_error", s.ScopeError, true)
	return append(w.b, '}'), true
}

// stringsField is a []string with omitempty.
func (w *objectWriter) stringsField(k string, v []string) {
	if len(v) > 0 {
		w.key(k)
		w.b = appendStrings(w.b, v)
	}
}

// appendMounts is a non-empty []Mount.
func appendMounts(b []byte, ms []Mount) []byte {
	b = append(b, '[')
	for i, m := range ms {
		if i > 0 {
			b = append(b, ',')
		}
		w := objectWriter{b: append(b, '{')}
		w.stringField("source", m.Source, false)
		w.stringField("target", m.Target, false)
		w.key("read_only")
		w.b = strconv.AppendBool(w.b, m.ReadOnly)
		b = append(w.b, '}')
	}
	return append(b, ']')
}

// specKeys are Spec's members in the order appendSpec writes them.
var specKeys = []string{"name", "hostname", "project_dir", "home", "home_source", "home_tmpfs", "state_dir",
	"network", "ports", "allow_host_loopback", "single_id", "cgroup", "idle_timeout", "mounts",
	"home_read_only", "security", "hidden", "require_proc", "review", "require_strict",
	"protect", "deny_read", "launch_session", "uid", "gid", "user", "ephemeral", "limits",
	"require_limits", "scope_error"}

// decodeSpec reads a whole Spec as appendSpec writes it.
func decodeSpec(b []byte) (Spec, bool) {
	r := objectReader{b: b}
	s := r.spec()
	return s, !r.bad && r.i == len(r.b)
}

// spec reads a Spec object as appendSpec writes it, up to its end.
func (r *objectReader) spec() (s Spec) {
	r.object(specKeys, func(k int) bool {
		switch specKeys[k] {
		case "name":
			s.Name = r.str()
		case "hostname":
			s.Hostname = r.str()
		case "project_dir":
			s.ProjectDir = r.str()
		case "home":
			s.Home = r.str()
		case "home_source":
			s.HomeSource = r.str()
		case "home_tmpfs":
			s.HomeTmpfs = r.boolean()
		case "state_dir":
			s.StateDir = r.str()
		case "network":
			if err := s.Network.UnmarshalText([]byte(r.str())); err != nil {
				r.bad = true // encoding/json says what is wrong
			}
		case "ports":
			s.Ports = r.nonEmptyStrings()
		case "allow_host_loopback":
			s.AllowHostLoopback = r.boolean()
		case "single_id":
			s.SingleID = r.boolean()
		case "cgroup":
			s.Cgroup = r.boolean()
		case "idle_timeout":
			s.IdleTimeout = time.Duration(r.int64())
		case "mounts":
			s.Mounts = r.mounts()
		case "home_read_only":
			s.HomeReadOnly = r.boolean()
		case "security":
			s.Security = r.str()
		case "hidden":
			s.Hidden = r.nonEmptyStrings()
		case "require_proc":
			s.RequireProc = r.boolean()
		case "review":
			s.Review = r.review()
		case "require_strict":
			s.RequireStrict = r.boolean()
		case "protect":
			s.Protect = r.nonEmptyStrings()
		case "deny_read":
			s.DenyRead = r.nonEmptyStrings()
		case "launch_session":
			s.LaunchSession = r.boolean()
		case "uid":
			s.UID = uint32(r.uint(32))
		case "gid":
			s.GID = uint32(r.uint(32))
		case "user":
			s.User = r.str()
		case "ephemeral":
			s.Ephemeral = r.boolean()
		case "limits":
			s.Limits = r.limits()
		case "require_limits":
			s.RequireLimits = r.boolean()
		case "scope_error":
			s.ScopeError = r.str()
		}
		return !r.bad
	})
	return s
}

// nonEmptyStrings reads an array of strings as an omitempty field holds
// it: never null, never empty.
func (r *objectReader) nonEmptyStrings() []string {
	ss := r.strings()
	if len(ss) == 0 {
		r.bad = true
	}
	return ss
}

// mounts reads a non-empty array of Mount objects.
func (r *objectReader) mounts() []Mount {
	var ms []Mount
	keys := []string{"source", "target", "read_only"}
	r.array(func() {
		var m Mount
		r.object(keys, func(k int) bool {
			switch keys[k] {
			case "source":
				m.Source = r.str()
			case "target":
				m.Target = r.str()
			case "read_only":
				m.ReadOnly = r.boolean()
			}
			return !r.bad
		})
		ms = append(ms, m)
	})
	if len(ms) == 0 {
		r.bad = true
	}
	return ms
}

// review reads a ReviewLayer object.
func (r *objectReader) review() *ReviewLayer {
	l := &ReviewLayer{}
	keys := []string{"driver", "upper", "work"}
	r.object(keys, func(k int) bool {
		switch keys[k] {
		case "driver":
			l.Driver = r.str()
		case "upper":
			l.Upper = r.str()
		case "work":
			l.Work = r.str()
		}
		return !r.bad
	})
	return l
}

// limits reads the Limits object appendSpec writes.
func (r *objectReader) limits() (l cgroupv2.Limits) {
	keys := []string{"memory", "pids", "cpu_weight"}
	r.object(keys, func(k int) bool {
		switch keys[k] {
		case "memory":
			l.Memory = r.int64()
		case "pids":
			l.Pids = r.int64()
		case "cpu_weight":
			l.CPUWeight = r.uint(64)
		}
		return !r.bad
	})
	return l
}

// appendJSONIf is NetReady's body as encoding/json writes it, when its
// spec is one appendSpec writes.
func (n NetReady) appendJSONIf(b []byte) ([]byte, bool) {
	b = append(b, `{"spec":`...)
	b, ok := appendSpec(b, n.Spec)
	if !ok {
		return b, false
	}
	if len(n.PortOpaque) > 0 {
		b = append(b, `,"port_opaque":`...)
		b = appendStringMap(b, n.PortOpaque)
	}
	b = append(b, `,"etc":`...)
	w := objectWriter{b: append(b, '{')}
	w.stringField("hostname", n.Etc.Hostname, false)
	w.stringField("hosts", n.Etc.Hosts, false)
	w.stringField("resolv_conf", n.Etc.ResolvConf, false)
	return append(w.b, '}', '}'), true
}

// appendStringMap is a map[string]string, keys sorted as encoding/json
// sorts them.
func appendStringMap(b []byte, m map[string]string) []byte {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	w := objectWriter{b: append(b, '{')}
	for _, k := range keys {
		w.stringField(k, m[k], false)
	}
	return append(w.b, '}')
}

// decodeNetReady reads a NetReady body as appendJSONIf writes it.
func decodeNetReady(b []byte) (n NetReady, ok bool) {
	r := objectReader{b: b}
	keys := []string{"spec", "port_opaque", "etc"}
	ok = r.members(keys, func(k int) bool {
		switch keys[k] {
		case "spec":
			n.Spec = r.spec()
		case "port_opaque":
			n.PortOpaque = r.stringMap()
		case "etc":
			n.Etc = r.etc()
		}
		return !r.bad
	})
	return n, ok
}

// stringMap reads a non-empty object of strings, its keys in increasing
// order.
func (r *objectReader) stringMap() map[string]string {
	m := map[string]string{}
	prev := ""
	if !r.byte('{') {
		return nil
	}
	for !r.bad {
		k := r.str()
		if r.bad || (len(m) > 0 && k <= prev) || !r.byte(':') {
			r.bad = true
			return nil
		}
		m[k], prev = r.str(), k
		if r.peek() != ',' {
			r.byte('}')
			break
		}
		r.i++
	}
	return m
}

// etc reads an EtcFiles object.
func (r *objectReader) etc() (e EtcFiles) {
	keys := []string{"hostname", "hosts", "resolv_conf"}
	r.object(keys, func(k int) bool {
		switch keys[k] {
		case "hostname":
			e.Hostname = r.str()
		case "hosts":
			e.Hosts = r.str()
		case "resolv_conf":
			e.ResolvConf = r.str()
		}
		return !r.bad
	})
	return e
}
