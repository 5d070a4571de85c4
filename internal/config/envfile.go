package config

import (
	"fmt"
	"os"
	"strings"
)

// ReadEnvFile reads an --env-file: one NAME=VALUE per line, or NAME alone
// for the host's value (skipped when the host has none); blank lines and
// lines starting with # are ignored. Values are taken as written, quotes
// and spaces included, as docker run --env-file does. It returns the
// NAME=VALUE entries in file order.
func ReadEnvFile(file string, lookup func(string) (string, bool)) ([]string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read env file: %w", err)
	}
	return ParseEnvFile(data, file, lookup)
}

// ParseEnvFile is ReadEnvFile on the file's content; name is the file
// for messages.
func ParseEnvFile(data []byte, name string, lookup func(string) (string, bool)) ([]string, error) {
	var out []string
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSuffix(line, "\r")
		trimmed := strings.TrimLeft(line, " \t")
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		k, v, found := strings.Cut(trimmed, "=")
		if k != strings.TrimRight(k, " \t") || checkEnvName(k) != nil || strings.ContainsAny(k, " \t") {
			return nil, &Error{File: name, Line: i + 1, Col: 1, Msg: fmt.Sprintf("invalid variable name %q: want NAME=VALUE, or NAME for the host's value", k)}
		}
		if !found {
			if lookup == nil {
				continue
			}
			if v, found = lookup(k); !found {
				continue
			}
		}
		out = append(out, k+"="+v)
	}
	return out, nil
}
