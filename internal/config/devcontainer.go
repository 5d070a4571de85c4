package config

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/devbox-dev/devbox/slirpnet"
)

// Imported is what devbox init could take from a devcontainer.json, and the
// properties it could not map, each with the reason.
type Imported struct {
	Image    string
	Ports    []string
	Env      map[string]string
	Mounts   []ImportedMount
	Setup    []string
	User     string
	Unmapped []string
}

// ImportedMount is a bind from devcontainer.json, paths as written.
type ImportedMount struct {
	Source, Target string
	ReadOnly       bool
}

// mappedProps are the devcontainer.json properties devbox maps.
var mappedProps = map[string]bool{
	"image": true, "forwardPorts": true, "containerEnv": true, "remoteEnv": true, "mounts": true,
	"onCreateCommand": true, "postCreateCommand": true, "remoteUser": true, "containerUser": true,
	"name": true, "$schema": true,
}

// unmappedWhy explains the common properties devbox cannot take.
var unmappedWhy = map[string]string{
	"build":                "devbox does not build images; build it and set image",
	"dockerFile":           "devbox does not build images; build it and set image",
	"dockerComposeFile":    "compose setups are not supported",
	"features":             "install what the features provide with setup commands",
	"customizations":       "editor settings stay with the editor",
	"runArgs":              "container runtime arguments have no devbox equivalent",
	"postStartCommand":     "runs on every start; devbox setup runs once",
	"postAttachCommand":    "runs on every attach; put it in your shell rc",
	"updateContentCommand": "add it to setup if it is needed once",
	"initializeCommand":    "runs on the host; run it yourself",
	"workspaceFolder":      "devbox binds the project at its own path",
	"workspaceMount":       "devbox binds the project at its own path",
}

// ImportDevcontainer maps a devcontainer.json (JSON with comments).
func ImportDevcontainer(data []byte) (Imported, error) {
	var dc map[string]json.RawMessage
	if err := json.Unmarshal(StripJSONC(data), &dc); err != nil {
		return Imported{}, fmt.Errorf("parse devcontainer.json: %w", err)
	}
	im := Imported{Env: map[string]string{}}
	steps := []struct {
		prop string
		fn   func(json.RawMessage) error
	}{
		{"image", func(r json.RawMessage) error { return json.Unmarshal(r, &im.Image) }},
		{"forwardPorts", im.ports},
		{"containerEnv", im.env("containerEnv")},
		{"remoteEnv", im.env("remoteEnv")},
		{"mounts", im.mounts},
		{"onCreateCommand", im.command("onCreateCommand")},
		{"postCreateCommand", im.command("postCreateCommand")},
		{"containerUser", im.user},
		{"remoteUser", im.user},
	}
	for _, s := range steps {
		if raw, ok := dc[s.prop]; ok {
			if err := s.fn(raw); err != nil {
				return im, fmt.Errorf("devcontainer.json: %s: %w", s.prop, err)
			}
		}
	}
	im.Unmapped = append(im.Unmapped, unmappedProps(dc)...)
	return im, nil
}

func unmappedProps(dc map[string]json.RawMessage) []string {
	var out []string
	for k := range dc {
		if mappedProps[k] {
			continue
		}
		why := unmappedWhy[k]
		if why == "" {
			why = "no devbox equivalent"
		}
		out = append(out, k+": "+why)
	}
	sort.Strings(out)
	return out
}

// ports takes numbers and "host:port" strings; only local hosts map.
func (im *Imported) ports(raw json.RawMessage) error {
	var list []any
	if err := json.Unmarshal(raw, &list); err != nil {
		return err
	}
	for _, p := range list {
		switch v := p.(type) {
		case float64:
			im.Ports = append(im.Ports, strconv.Itoa(int(v)))
		case string:
			host, port, ok := strings.Cut(v, ":")
			if ok && (host == "localhost" || host == "127.0.0.1") && validPort(port) {
				im.Ports = append(im.Ports, port)
			} else {
				im.Unmapped = append(im.Unmapped, fmt.Sprintf("forwardPorts %q: only ports of the sandbox itself can be published", v))
			}
		}
	}
	return nil
}

func (im *Imported) env(prop string) func(json.RawMessage) error {
	return func(raw json.RawMessage) error {
		var m map[string]*string
		if err := json.Unmarshal(raw, &m); err != nil {
			return err
		}
		for _, k := range sortedKeysOf(m) {
			v := m[k]
			if v == nil || strings.Contains(*v, "${") {
				im.Unmapped = append(im.Unmapped, fmt.Sprintf("%s.%s: variable substitution ${...} is not supported; set it in [env] by hand", prop, k))
				continue
			}
			im.Env[k] = *v
		}
		return nil
	}
}

func sortedKeysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// localPaths turns the host-side variables devcontainer.json uses for bind
// sources into the forms devbox.toml resolves itself.
var localPaths = strings.NewReplacer("${localEnv:HOME}", "~", "${localWorkspaceFolder}", ".")

// mounts takes "source=...,target=...,type=bind[,readonly]" strings and
// {source, target, type} objects; only binds map.
func (im *Imported) mounts(raw json.RawMessage) error {
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return err
	}
	for _, r := range list {
		fields := map[string]string{}
		var s string
		if json.Unmarshal(r, &s) == nil {
			for _, kv := range strings.Split(s, ",") {
				k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
				fields[strings.ToLower(k)] = v
			}
		} else {
			var obj map[string]any
			if err := json.Unmarshal(r, &obj); err != nil {
				return err
			}
			for k, v := range obj {
				fields[strings.ToLower(k)] = fmt.Sprint(v)
			}
			s = string(r)
		}
		im.mount(fields, s)
	}
	return nil
}

func (im *Imported) mount(f map[string]string, text string) {
	src := localPaths.Replace(firstOf(f, "source", "src"))
	dst := firstOf(f, "target", "destination", "dst")
	_, ro := f["readonly"]
	ro = ro || f["ro"] == "true" || f["readonly"] == "true"
	switch {
	case f["type"] != "" && f["type"] != "bind":
		im.Unmapped = append(im.Unmapped, fmt.Sprintf("mount %s: type %s is not supported, only bind", text, f["type"]))
	case src == "" || dst == "" || strings.Contains(src+dst, "${"):
		im.Unmapped = append(im.Unmapped, fmt.Sprintf("mount %s: needs a literal source and target", text))
	default:
		im.Mounts = append(im.Mounts, ImportedMount{Source: src, Target: dst, ReadOnly: ro})
	}
}

func firstOf(m map[string]string, keys ...string) string {
	for _, k := range keys {
		if v := m[k]; v != "" {
			return v
		}
	}
	return ""
}

// command takes a lifecycle command: a shell string, an argv array, or an
// object of named commands (run in name order here, not in parallel).
func (im *Imported) command(prop string) func(json.RawMessage) error {
	return func(raw json.RawMessage) error {
		cmds, err := commandsOf(raw)
		if err != nil {
			return err
		}
		im.Setup = append(im.Setup, cmds...)
		return nil
	}
}

func commandsOf(raw json.RawMessage) ([]string, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []string{s}, nil
	}
	var argv []string
	if json.Unmarshal(raw, &argv) == nil {
		return []string{shellJoin(argv)}, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, fmt.Errorf("want a string, an array or an object of commands")
	}
	var out []string
	for _, k := range sortedKeysOf(obj) {
		c, err := commandsOf(obj[k])
		if err != nil {
			return nil, err
		}
		out = append(out, c...)
	}
	return out, nil
}

// shellJoin quotes argv for sh -c.
func shellJoin(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:@%+,") == "" {
			q[i] = a
		} else {
			q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(q, " ")
}

func (im *Imported) user(raw json.RawMessage) error {
	var u string
	if err := json.Unmarshal(raw, &u); err != nil {
		return err
	}
	if u == "root" || u == "0" {
		im.User = UserRoot
		return nil
	}
	im.User = UserSelf
	im.Unmapped = append(im.Unmapped, fmt.Sprintf("user %q: devbox runs you as yourself (user = \"self\"), not as a user of the image", u))
	return nil
}

// validPort reports whether a devcontainer port is one devbox can publish.
func validPort(spec string) bool {
	_, err := slirpnet.ParsePortSpec(spec)
	return err == nil
}
