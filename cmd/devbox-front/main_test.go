package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestFrontLinksNoCobra: the front parses run and enter with pflag alone
// (package front); cobra, the text/template its help links, and the
// engine's commands (internal/cli) stay in devbox-engine, out of every
// join's start.
func TestFrontLinksNoCobra(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool to list the packages with")
	}
	out, err := exec.Command(goTool, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		switch pkg {
		case "github.com/spf13/cobra", "text/template", "github.com/devbox-dev/devbox/internal/cli":
			t.Errorf("the front links %s", pkg)
		}
	}
}
