package sandbox

import (
	"testing"

	"github.com/devbox-dev/devbox/internal/project"
)

func TestShortNameAmong(t *testing.T) {
	app := project.Name("/src/app")
	twin := project.Name("/other/app")
	tests := []struct {
		name, project string
		others        []string
		want          string
	}{
		{"alone", "/src/app", nil, "app"},
		{"itself listed", "/src/app", []string{app}, "app"},
		{"other basename", "/src/app", []string{app, project.Name("/src/web")}, "app"},
		{"twin running or stopped", "/src/app", []string{app, twin}, app},
		{"twin without hash suffix", "/src/app", []string{"app"}, app},
		{"given --name", "/src/app", nil, "custom"},
		{"no project", "", nil, "custom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := app
			if tt.want == "custom" {
				name = "custom"
			}
			if got := shortNameAmong(name, tt.project, tt.others); got != tt.want {
				t.Errorf("shortNameAmong(%q, %q, %q) = %q, want %q", name, tt.project, tt.others, got, tt.want)
			}
		})
	}
}
