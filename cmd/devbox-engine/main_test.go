package main

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/devbox-dev/devbox/internal/cli"
	"github.com/devbox-dev/devbox/storage"
)

func TestPrintImages(t *testing.T) {
	created := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	var out bytes.Buffer
	a := &cli.App{Stdout: &out, Stderr: io.Discard}
	err := printImages(a, storage.Listing{Images: []storage.Image{
		{ID: "0123456789abcdef", Names: []string{"docker.io/library/debian@sha256:aa", "docker.io/library/debian:12"}, Size: 2_500_000, Created: created},
		{ID: "fedcba9876543210", Names: []string{"x@sha256:bb"}, Size: 0, Created: created},
	}})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("output = %q", out.String())
	}
	for i, want := range [][]string{{"docker.io/library/debian:12", "0123456789ab ", "2.5 MB"}, {"<none>", "fedcba987654 ", "0.0 MB"}} {
		for _, w := range want {
			if !strings.Contains(lines[i+1], w) {
				t.Errorf("line %q lacks %q", lines[i+1], w)
			}
		}
	}
}
