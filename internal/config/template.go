package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// languageImages suggests an image by the files a project has.
var languageImages = []struct{ file, image string }{
	{"go.mod", "docker.io/library/golang:1"},
	{"Cargo.toml", "docker.io/library/rust:1"},
	{"package.json", "docker.io/library/node:lts"},
	{"pyproject.toml", "docker.io/library/python:3"},
}

// SuggestImage returns an image matching the language files in dir, or "".
func SuggestImage(dir string) (image, file string) {
	for _, l := range languageImages {
		if _, err := os.Stat(filepath.Join(dir, l.file)); err == nil {
			return l.image, l.file
		}
	}
	return "", ""
}

// InitFile renders the commented devbox.toml that devbox init writes for
// the project in dir, filled from a devcontainer.json import when im is not
// nil (from names the imported file).
func InitFile(dir string, im *Imported, from string) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("# devbox.toml for %s: the sandbox everyone gets from 'devbox enter'.\n", filepath.Base(dir))
	w("# Every key is optional; see 'devbox help config'. Command-line flags override it.\n")
	if im != nil {
		w("# Imported from %s.\n", from)
	}
	w("\n")
	writeImage(w, dir, im)
	w("\n# The sandbox's hostname (default: the project's basename).\n# hostname = %s\n", quoteTOML(filepath.Base(dir)))
	w("\n# Network: slirp4netns or pasta (user-mode, the default), host or none.\n# network = \"slirp4netns\"\n")
	writeList(w, "Ports published on the host's 127.0.0.1: [[HOST_IP:]HOST_PORT:]PORT[/tcp|/udp].", "ports", importedList(im, func(i *Imported) []string { return i.Ports }), `["8080"]`)
	w("\n# Home inside: private (persistent per sandbox), host (your real home) or ro (read-only).\n# home = \"private\"\n")
	w("\n# Sessions keep your own uid, gid and name inside (\"self\", the default);\n# \"root\" makes you uid 0. 'devbox enter --user root' gives a root shell either way.\n")
	if im != nil && im.User != "" {
		w("user = %s\n", quoteTOML(im.User))
	} else {
		w("# user = \"root\"\n")
	}
	writeList(w, "Commands run once as root inside when the sandbox is created, and again when they change.", "setup", importedList(im, func(i *Imported) []string { return i.Setup }), `["echo provisioned"]`)
	w("\n# forward_ssh_agent = true   # your ssh-agent inside ($SSH_AUTH_SOCK)\n# gui = true                 # X11 and Wayland sockets, DISPLAY and WAYLAND_DISPLAY\n")
	w("# idle_timeout = \"15m\"      # stop after this long without sessions\n")
	writeEnv(w, im)
	writeMounts(w, im)
	w("\n# [limits]\n# memory = \"4g\"\n# pids = 4096\n# cpus = 2\n")
	if im != nil && len(im.Unmapped) > 0 {
		w("\n# Not imported from %s:\n", from)
		for _, u := range im.Unmapped {
			w("#   %s\n", u)
		}
	}
	return b.String()
}

func writeImage(w func(string, ...any), dir string, im *Imported) {
	w("# The root filesystem: an OCI image, or no image for a read-only view of\n# the host's own root (the default, works offline).\n")
	if im != nil && im.Image != "" {
		w("image = %s\n", quoteTOML(im.Image))
		return
	}
	if img, file := SuggestImage(dir); img != "" {
		w("# image = %s   # suggested by %s\n", quoteTOML(img), file)
		return
	}
	w("# image = \"docker.io/library/debian:12\"\n")
}

func importedList(im *Imported, get func(*Imported) []string) []string {
	if im == nil {
		return nil
	}
	return get(im)
}

func writeList(w func(string, ...any), doc, key string, values []string, example string) {
	w("\n# %s\n", doc)
	if len(values) == 0 {
		w("# %s = %s\n", key, example)
		return
	}
	w("%s = [\n", key)
	for _, v := range values {
		w("  %s,\n", quoteTOML(v))
	}
	w("]\n")
}

func writeEnv(w func(string, ...any), im *Imported) {
	w("\n# Environment of every session, applied last.\n")
	if im == nil || len(im.Env) == 0 {
		w("# [env]\n# RUST_BACKTRACE = \"1\"\n")
		return
	}
	w("[env]\n")
	for _, k := range sortedKeysOf(im.Env) {
		w("%s = %s\n", quoteKey(k), quoteTOML(im.Env[k]))
	}
}

func writeMounts(w func(string, ...any), im *Imported) {
	w("\n# Extra binds; ~ and relative sources are resolved from your home and the project.\n")
	if im == nil || len(im.Mounts) == 0 {
		w("# [[mounts]]\n# source = \"~/.cache/go-build\"\n# target = \"~/.cache/go-build\"\n# read_only = false\n")
		return
	}
	for _, m := range im.Mounts {
		w("[[mounts]]\nsource = %s\ntarget = %s\n", quoteTOML(m.Source), quoteTOML(m.Target))
		if m.ReadOnly {
			w("read_only = true\n")
		}
	}
}

// quoteTOML writes s as a TOML basic string.
func quoteTOML(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// quoteKey leaves bare keys bare and quotes the rest.
func quoteKey(k string) string {
	if k != "" && strings.Trim(k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == "" {
		return k
	}
	return quoteTOML(k)
}
