//go:build integration

package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// With user = "self" a session runs as the invoking user's own uid and gid,
// and a file it creates in the project is the user's on both sides.
func TestConfig_UserSelfOwnershipRoundTrip(t *testing.T) {
	e := newEnv(t)
	e.writeConfig("user = \"self\"\n")
	out := e.sh("id -u; id -g; touch made-by-self; stat -c '%u:%g' made-by-self; echo $USER")
	want := fmt.Sprintf("%d\n%d\n%d:%d\n", os.Getuid(), os.Getgid(), os.Getuid(), os.Getgid())
	if !strings.HasPrefix(out, want) {
		t.Fatalf("inside with user = self: got %q, want prefix %q", out, want)
	}
	fi, err := os.Stat(filepath.Join(e.project, "made-by-self"))
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if int(st.Uid) != os.Getuid() || int(st.Gid) != os.Getgid() {
		t.Errorf("on the host the file is %d:%d, want %d:%d", st.Uid, st.Gid, os.Getuid(), os.Getgid())
	}
}
