package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestClientLinksNoParser: the fast join builds a session from its ticket
// (internal/session), so the client links neither devbox.toml's parser
// nor the flags' nor the packages that use them: each one's package init
// and pages would be in every join's start.
func TestClientLinksNoParser(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("no go tool to list the packages with: %v", err)
	}
	out, err := exec.Command(goTool, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		switch pkg {
		case "github.com/BurntSushi/toml", "github.com/spf13/pflag", "github.com/spf13/cobra",
			"github.com/devbox-dev/devbox/internal/config", "github.com/devbox-dev/devbox/internal/sandbox",
			"github.com/devbox-dev/devbox/internal/front":
			t.Errorf("the client links %s", pkg)
		}
	}
}
