package proto

import (
	"encoding/json"
	"slices"
	"strconv"
	"time"

	"github.com/devbox-dev/devbox/cgroupv2"
	"github.com/devbox-dev/devbox/internal/wire"
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
	w := wire.Writer{B: append(b, '{')}
	w.String("name", s.Name, false)
	w.String("hostname", s.Hostname, false)
	w.String("project_dir", s.ProjectDir, false)
	w.String("home", s.Home, false)
	w.String("home_source", s.HomeSource, false)
	w.Bool("home_tmpfs", s.HomeTmpfs)
	w.String("state_dir", s.StateDir, false)
	w.String("network", s.Network.Name(), false)
	w.Strings("ports", s.Ports)
	w.Bool("allow_host_loopback", s.AllowHostLoopback)
	w.Key("single_id")
	w.B = strconv.AppendBool(w.B, s.SingleID)
	w.Bool("cgroup", s.Cgroup)
	w.Key("idle_timeout")
	w.B = strconv.AppendInt(w.B, int64(s.IdleTimeout), 10)
	if len(s.Mounts) > 0 {
		w.Key("mounts")
		w.B = appendMounts(w.B, s.Mounts)
	}
	w.Bool("home_read_only", s.HomeReadOnly)
	w.String("security", s.Security, true)
	w.Strings("hidden", s.Hidden)
	w.Bool("require_proc", s.RequireProc)
	if s.Review != nil {
		w.Key("review")
		r := wire.Writer{B: append(w.B, '{')}
		r.String("driver", s.Review.Driver, false)
		r.String("upper", s.Review.Upper, false)
		r.String("work", s.Review.Work, false)
		w.B = append(r.B, '}')
	}
	w.Bool("require_strict", s.RequireStrict)
	w.Strings("protect", s.Protect)
	w.Strings("deny_read", s.DenyRead)
	w.Bool("launch_session", s.LaunchSession)
	w.Key("uid")
	w.B = strconv.AppendUint(w.B, uint64(s.UID), 10)
	w.Key("gid")
	w.B = strconv.AppendUint(w.B, uint64(s.GID), 10)
	w.String("user", s.User, false)
	w.Bool("ephemeral", s.Ephemeral)
	w.Key("limits")
	l := wire.Writer{B: append(w.B, '{')}
	l.Int("memory", s.Limits.Memory)
	l.Int("pids", s.Limits.Pids)
	l.Uint("cpu_weight", s.Limits.CPUWeight)
	w.B = append(l.B, '}')
	w.Bool("require_limits", s.RequireLimits)
	w.String("scope_error", s.ScopeError, true)
	return append(w.B, '}'), true
}

// appendMounts is a non-empty []Mount.
func appendMounts(b []byte, ms []Mount) []byte {
	b = append(b, '[')
	for i, m := range ms {
		if i > 0 {
			b = append(b, ',')
		}
		w := wire.Writer{B: append(b, '{')}
		w.String("source", m.Source, false)
		w.String("target", m.Target, false)
		w.Key("read_only")
		w.B = strconv.AppendBool(w.B, m.ReadOnly)
		b = append(w.B, '}')
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
	r := &wire.Reader{B: b}
	s := readSpec(r)
	return s, !r.Bad && r.I == len(r.B)
}

// spec reads a Spec object as appendSpec writes it, up to its end.
func readSpec(r *wire.Reader) (s Spec) {
	r.Object(specKeys, func(k int) bool {
		switch specKeys[k] {
		case "name":
			s.Name = r.Str()
		case "hostname":
			s.Hostname = r.Str()
		case "project_dir":
			s.ProjectDir = r.Str()
		case "home":
			s.Home = r.Str()
		case "home_source":
			s.HomeSource = r.Str()
		case "home_tmpfs":
			s.HomeTmpfs = r.Bool()
		case "state_dir":
			s.StateDir = r.Str()
		case "network":
			if err := s.Network.UnmarshalText([]byte(r.Str())); err != nil {
				r.Bad = true // encoding/json says what is wrong
			}
		case "ports":
			s.Ports = readNonEmptyStrings(r)
		case "allow_host_loopback":
			s.AllowHostLoopback = r.Bool()
		case "single_id":
			s.SingleID = r.Bool()
		case "cgroup":
			s.Cgroup = r.Bool()
		case "idle_timeout":
			s.IdleTimeout = time.Duration(r.Int64())
		case "mounts":
			s.Mounts = readMounts(r)
		case "home_read_only":
			s.HomeReadOnly = r.Bool()
		case "security":
			s.Security = r.Str()
		case "hidden":
			s.Hidden = readNonEmptyStrings(r)
		case "require_proc":
			s.RequireProc = r.Bool()
		case "review":
			s.Review = readReview(r)
		case "require_strict":
			s.RequireStrict = r.Bool()
		case "protect":
			s.Protect = readNonEmptyStrings(r)
		case "deny_read":
			s.DenyRead = readNonEmptyStrings(r)
		case "launch_session":
			s.LaunchSession = r.Bool()
		case "uid":
			s.UID = uint32(r.Uint(32))
		case "gid":
			s.GID = uint32(r.Uint(32))
		case "user":
			s.User = r.Str()
		case "ephemeral":
			s.Ephemeral = r.Bool()
		case "limits":
			s.Limits = readLimits(r)
		case "require_limits":
			s.RequireLimits = r.Bool()
		case "scope_error":
			s.ScopeError = r.Str()
		}
		return !r.Bad
	})
	return s
}

// nonEmptyStrings reads an array of strings as an omitempty field holds
// it: never null, never empty.
func readNonEmptyStrings(r *wire.Reader) []string {
	ss := r.Strings()
	if len(ss) == 0 {
		r.Bad = true
	}
	return ss
}

// mounts reads a non-empty array of Mount objects.
func readMounts(r *wire.Reader) []Mount {
	var ms []Mount
	keys := []string{"source", "target", "read_only"}
	r.Array(func() {
		var m Mount
		r.Object(keys, func(k int) bool {
			switch keys[k] {
			case "source":
				m.Source = r.Str()
			case "target":
				m.Target = r.Str()
			case "read_only":
				m.ReadOnly = r.Bool()
			}
			return !r.Bad
		})
		ms = append(ms, m)
	})
	if len(ms) == 0 {
		r.Bad = true
	}
	return ms
}

// review reads a ReviewLayer object.
func readReview(r *wire.Reader) *ReviewLayer {
	l := &ReviewLayer{}
	keys := []string{"driver", "upper", "work"}
	r.Object(keys, func(k int) bool {
		switch keys[k] {
		case "driver":
			l.Driver = r.Str()
		case "upper":
			l.Upper = r.Str()
		case "work":
			l.Work = r.Str()
		}
		return !r.Bad
	})
	return l
}

// limits reads the Limits object appendSpec writes.
func readLimits(r *wire.Reader) (l cgroupv2.Limits) {
	keys := []string{"memory", "pids", "cpu_weight"}
	r.Object(keys, func(k int) bool {
		switch keys[k] {
		case "memory":
			l.Memory = r.Int64()
		case "pids":
			l.Pids = r.Int64()
		case "cpu_weight":
			l.CPUWeight = r.Uint(64)
		}
		return !r.Bad
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
	w := wire.Writer{B: append(b, '{')}
	w.String("hostname", n.Etc.Hostname, false)
	w.String("hosts", n.Etc.Hosts, false)
	w.String("resolv_conf", n.Etc.ResolvConf, false)
	return append(w.B, '}', '}'), true
}

// appendStringMap is a map[string]string, keys sorted as encoding/json
// sorts them.
func appendStringMap(b []byte, m map[string]string) []byte {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	w := wire.Writer{B: append(b, '{')}
	for _, k := range keys {
		w.String(k, m[k], false)
	}
	return append(w.B, '}')
}

// decodeNetReady reads a NetReady body as appendJSONIf writes it.
func decodeNetReady(b []byte) (n NetReady, ok bool) {
	r := &wire.Reader{B: b}
	keys := []string{"spec", "port_opaque", "etc"}
	ok = r.Members(keys, func(k int) bool {
		switch keys[k] {
		case "spec":
			n.Spec = readSpec(r)
		case "port_opaque":
			n.PortOpaque = readStringMap(r)
		case "etc":
			n.Etc = readEtc(r)
		}
		return !r.Bad
	})
	return n, ok
}

// stringMap reads a non-empty object of strings, its keys in increasing
// order.
func readStringMap(r *wire.Reader) map[string]string {
	m := map[string]string{}
	prev := ""
	if !r.Byte('{') {
		return nil
	}
	for !r.Bad {
		k := r.Str()
		if r.Bad || (len(m) > 0 && k <= prev) || !r.Byte(':') {
			r.Bad = true
			return nil
		}
		m[k], prev = r.Str(), k
		if r.Peek() != ',' {
			r.Byte('}')
			break
		}
		r.I++
	}
	return m
}

// etc reads an EtcFiles object.
func readEtc(r *wire.Reader) (e EtcFiles) {
	keys := []string{"hostname", "hosts", "resolv_conf"}
	r.Object(keys, func(k int) bool {
		switch keys[k] {
		case "hostname":
			e.Hostname = r.Str()
		case "hosts":
			e.Hosts = r.Str()
		case "resolv_conf":
			e.ResolvConf = r.Str()
		}
		return !r.Bad
	})
	return e
}
