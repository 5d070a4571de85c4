package prebuilt

import (
	"bytes"
	"os"
	"testing"

	"github.com/devbox-dev/devbox/internal/seccomp"
)

// TestPrebuiltIsCurrent: the checked-in table file is exactly what the
// profile in internal/seccomp assembles now. A profile change without
// `go generate ./internal/seccomp` fails here.
func TestPrebuiltIsCurrent(t *testing.T) {
	want, err := seccomp.Generate()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(seccomp.GeneratedFile())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is stale: run go generate ./internal/seccomp", seccomp.GeneratedFile())
	}
}
