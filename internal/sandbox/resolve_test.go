package sandbox

import (
	"strings"
	"testing"
)

func TestResolveIn(t *testing.T) {
	all := []Info{
		{Name: "api-1a2b3c", Project: "/src/api"},
		{Name: "api-9f8e7d", Project: "/work/api"},
		{Name: "web-123456", Project: "/src/web"},
		{Name: "webhooks-abcdef", Project: "/src/webhooks"},
		{Name: "scratch", Project: "/tmp/x"},
	}
	tests := []struct{ arg, want, err string }{
		{"web-123456", "web-123456", ""},
		{"web", "web-123456", ""},
		{"webh", "webhooks-abcdef", ""},
		{"scr", "scratch", ""},
		{"x", "scratch", ""},
		{"api", "", `"api" is ambiguous: it could be api-1a2b3c, api-9f8e7d`},
		{"api-", "", "ambiguous"},
		{"nope", "", `no sandbox "nope" (see 'devbox ps -a')`},
	}
	for _, tt := range tests {
		got, err := resolveIn(tt.arg, all)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("resolveIn(%q) = %q, %v; want error %q", tt.arg, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("resolveIn(%q) = %q, %v; want %q", tt.arg, got, err, tt.want)
		}
	}
}
