package preflight

import (
	"path/filepath"
	"testing"
)

func TestCheckSELinux(t *testing.T) {
	proj := t.TempDir()
	tests := []struct {
		tree   string
		shown  bool
		status Status
		detail string
	}{
		{"fedora-enforcing", true, StatusOK, "enforcing; devbox runs as unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023; project " + proj + " labelled "},
		{"fedora-confined", true, StatusWarn, "devbox runs confined as staff_u:staff_r:staff_t"},
		{"fedora-permissive", true, StatusOK, "permissive; project " + proj},
		{"absent", false, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.tree, func(t *testing.T) {
			dir := filepath.Join("testdata", "selinux", tt.tree)
			f := readSELinux(Roots{Proc: filepath.Join(dir, "proc"), SELinuxFS: filepath.Join(dir, "sys/fs/selinux")}, proj)
			c, shown := checkSELinux(f)
			if shown != tt.shown || shown && (c.Status != tt.status || !contains(c.Detail, tt.detail)) {
				t.Errorf("got %+v shown=%v, want %s with %q", c, shown, tt.status, tt.detail)
			}
		})
	}
}

func TestCheckSELinuxLabel(t *testing.T) {
	f := seLinuxFacts{enforce: "1", domain: "unconfined_u:unconfined_r:unconfined_t:s0", project: "/home/a/p", label: "unconfined_u:object_r:container_file_t:s0:c1,c2"}
	if c, _ := checkSELinux(f); c.Status != StatusOK || !contains(c.Detail, "project /home/a/p labelled unconfined_u:object_r:container_file_t:s0:c1,c2") {
		t.Errorf("got %+v", c)
	}
	if seType("a:b") != "" || seType("u:r:t:s0") != "t" {
		t.Error("seType")
	}
}
