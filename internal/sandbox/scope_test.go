package sandbox

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestSupervisorArgv(t *testing.T) {
	path, argv := supervisorArgv("/usr/bin/devbox", "proj", false)
	if path != "/usr/bin/devbox" || !reflect.DeepEqual(argv, []string{"devbox-supervisor", "proj"}) {
		t.Errorf("direct: %q %q", path, argv)
	}
	path, argv = supervisorArgv("/usr/bin/devbox", "proj", true)
	want := []string{"systemd-run", "--user", "--scope", "--quiet", "--collect", "-p", "Delegate=yes",
		"--description=devbox sandbox proj", "--", "/usr/bin/devbox", "devbox-supervisor", "proj"}
	if path != "systemd-run" || !reflect.DeepEqual(argv, want) {
		t.Errorf("scope: %q %q", path, argv)
	}
}

func TestLastLogLine(t *testing.T) {
	dir := t.TempDir()
	if got := lastLogLine(dir); got != "no message" {
		t.Errorf("no log: %q", got)
	}
	log := "Failed to connect to bus: No medium found\n\n"
	os.WriteFile(filepath.Join(dir, "supervisor.log"), []byte("earlier\n"+log), 0o600)
	if got := lastLogLine(dir); got != strings.TrimSpace(log) {
		t.Errorf("lastLogLine = %q", got)
	}
}
