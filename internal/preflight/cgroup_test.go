package preflight

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseMountinfoCgroup2(t *testing.T) {
	tests := []struct {
		file string
		want string
		ok   bool
	}{
		{"mountinfo-hybrid", "/sys/fs/cgroup/unified", true},
		{"mountinfo-unified", "/sys/fs/cgroup", true},
		{"mountinfo-v1", "", false},
		{"mountinfo-escaped", "/mnt/my cgroup", true},
		{"mountinfo-fake-dash", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, ok := ParseMountinfoCgroup2(readTestdata(t, tt.file))
			if got != tt.want || ok != tt.ok {
				t.Errorf("got %q, %v; want %q, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestParseProcCgroup(t *testing.T) {
	tests := []struct {
		file    string
		want    string
		wantErr bool
	}{
		{"cgroup-hybrid", "/", false},
		{"cgroup-unified", "/user.slice/user-1000.slice/user@1000.service/app.slice/app-foot.scope", false},
		{"cgroup-v1", "", true},
		{"cgroup-relative", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := ParseProcCgroup(readTestdata(t, tt.file))
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Errorf("got %q, %v; want %q, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestMissingControllers(t *testing.T) {
	tests := []struct {
		line string
		want []string
	}{
		{"", []string{"memory", "pids", "cpu"}},
		{"hugetlb", []string{"memory", "pids", "cpu"}},
		{"cpuset cpu io memory hugetlb pids rdma misc", nil},
		{"cpuset io memory pids", []string{"cpu"}},
	}
	for _, tt := range tests {
		if got := missingControllers(tt.line); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("missingControllers(%q) = %v, want %v", tt.line, got, tt.want)
		}
	}
}

func TestCheckCgroupRunsOnThisHost(t *testing.T) {
	c := checkCgroup()
	if c.Status == StatusFail {
		t.Errorf("cgroup check must warn, not fail: %+v", c)
	}
	if c.Status == StatusWarn && !contains(c.Detail, notEnforced) {
		t.Errorf("warning %q does not say %q", c.Detail, notEnforced)
	}
}
