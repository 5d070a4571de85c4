package sandbox

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/devbox-dev/devbox/internal/config"
)

// TestCheckTrust walks one project through the trust states: defaults
// pass, a wider file is refused until approved, narrowing passes and
// becomes the record, so widening back is refused again.
func TestCheckTrust(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	proj := "/work/proj"
	def := config.Defaults()
	wide := config.Defaults()
	wide.Home, wide.GUI = config.HomeHost, true
	narrow := wide
	narrow.GUI = false

	opts := func(c config.Config, approve func([]config.Change) bool) Options {
		return Options{Project: proj, FileConfig: c, Approve: approve}
	}
	refused := func(err error, n int) {
		t.Helper()
		var ue *UntrustedError
		if !errors.As(err, &ue) || len(ue.Changes) != n {
			t.Fatalf("want refusal with %d changes, got %v", n, err)
		}
	}
	if err := checkTrust(opts(def, nil)); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	refused(checkTrust(opts(wide, nil)), 2)
	asked := 0
	refused(checkTrust(opts(wide, func(c []config.Change) bool { asked++; return false })), 2)
	if asked != 1 {
		t.Fatalf("asked %d times, want 1", asked)
	}
	if err := checkTrust(opts(wide, func([]config.Change) bool { return true })); err != nil {
		t.Fatalf("approved on the terminal: %v", err)
	}
	if err := checkTrust(opts(wide, nil)); err != nil {
		t.Fatalf("after approval: %v", err)
	}
	if err := checkTrust(opts(narrow, nil)); err != nil {
		t.Fatalf("narrowing: %v", err)
	}
	refused(checkTrust(opts(wide, nil)), 1)
	got, err := Trust(proj, wide)
	if err != nil || len(got) != 1 || got[0].Key != "gui" {
		t.Fatalf("Trust = %v, %v; want the gui change", got, err)
	}
	if err := checkTrust(opts(wide, nil)); err != nil {
		t.Fatalf("after devbox trust: %v", err)
	}
	rec, ok, err := ReadTrust(proj)
	if err != nil || !ok || rec.By != ByTrust || rec.Config.Home != config.HomeHost {
		t.Fatalf("record = %+v %v %v", rec, ok, err)
	}
	// Another project has its own record.
	if err := checkTrust(Options{Project: "/work/other", FileConfig: wide}); err == nil {
		t.Fatal("another project inherited the approval")
	}
}

func TestReadTrust_Damaged(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	path, err := trustPath("/p")
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Dir(path), 0o700)
	os.WriteFile(path, []byte("{"), 0o600)
	if _, _, err := ReadTrust("/p"); err == nil {
		t.Fatal("a damaged record was accepted")
	}
}

// TestCheckTrust_Digest: a load approved once passes on its digest alone;
// a new record (devbox trust, a narrower start) drops the old digest, so a
// digest never approves a config the record does not.
func TestCheckTrust_Digest(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	proj := "/work/proj"
	wide := config.Defaults()
	wide.Home = config.HomeHost
	yes := func([]config.Change) bool { return true }
	if err := checkTrust(Options{Project: proj, FileConfig: wide, FileDigest: "d-wide", Approve: yes}); err != nil {
		t.Fatal(err)
	}
	if !approvedDigest(proj, "d-wide") || approvedDigest(proj, "d-other") || approvedDigest(proj, "") {
		t.Fatal("the approved load's digest is not the one recorded")
	}
	// The digest alone approves, whatever the config says: it stands for
	// the load, and equal loads give equal configs.
	if err := checkTrust(Options{Project: proj, FileConfig: config.Defaults(), FileDigest: "d-def"}); err != nil {
		t.Fatal(err)
	}
	if approvedDigest(proj, "d-wide") {
		t.Fatal("a narrower record kept the wider load's digest")
	}
	if err := checkTrust(Options{Project: proj, FileConfig: wide, FileDigest: "d-wide"}); err == nil {
		t.Fatal("the wider load passed after the record narrowed")
	}
}
