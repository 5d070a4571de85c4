package preflight

import "testing"

func TestCheckKernel(t *testing.T) {
	tests := []struct {
		rel    string
		status Status
		detail string
	}{
		{"6.18.0-1-amd64", StatusOK, "Linux 6.18.0-1-amd64 (supported from 5.13)"},
		{"6.1.0-18-amd64", StatusOK, "lacks < 6.6: tmpfs keeps no user extended attributes"},
		{"5.15.0-100-generic", StatusOK, "lacks < 5.19: no memory.peak"},
		{"5.13.0", StatusOK, "< 5.19"},
		{"5.10.0-28-amd64", StatusWarn, "older than 5.13, the oldest devbox supports: < 5.12: no mount_setattr"},
		{"4.19.0-26-amd64", StatusWarn, "< 5.3: no pidfd_open"},
		{"4.4.0-210-generic", StatusFail, "older than 4.6: < 4.6: no cgroup namespaces"},
		{"garbage", StatusWarn, "cannot read the kernel release"},
	}
	for _, tt := range tests {
		c := checkKernel(tt.rel)
		if c.Status != tt.status || !contains(c.Detail, tt.detail) || (c.Status != StatusOK) != (c.Fix != "") {
			t.Errorf("checkKernel(%q) = %+v, want %s with %q", tt.rel, c, tt.status, tt.detail)
		}
	}
	if c := checkKernel("6.6.1"); contains(c.Detail, "lacks") {
		t.Errorf("6.6 lacks nothing devbox uses: %+v", c)
	}
}

func TestKernelFeaturesOrdered(t *testing.T) {
	for i := 1; i < len(kernelFeatures); i++ {
		a, b := kernelFeatures[i-1], kernelFeatures[i]
		if !older(a.major, a.minor, b.major, b.minor) {
			t.Errorf("%d.%d listed before %d.%d", a.major, a.minor, b.major, b.minor)
		}
	}
	if f := kernelFeatures[0]; f.major != minimumMajor || f.minor != minimumMinor {
		t.Errorf("the first feature (%d.%d) is not the minimum", f.major, f.minor)
	}
}
