package sandbox

import (
	"slices"
	"testing"
)

func TestChangedKeys(t *testing.T) {
	rec := configRecord{
		Values:     map[string]string{"network": "pasta", "limits": "memory=64m", "hostname": "a"},
		FileValues: map[string]string{"network": "pasta", "limits": "", "hostname": "a"},
	}
	tests := []struct {
		name  string
		file  map[string]string
		cur   map[string]string
		flags map[string]bool
		want  []string
	}{
		{"flag not repeated", rec.FileValues, map[string]string{"network": "pasta", "limits": "", "hostname": "a"}, nil, nil},
		{"flag repeated equal", rec.FileValues, rec.Values, map[string]bool{"limits": true}, nil},
		{"flag differs", rec.FileValues, map[string]string{"network": "pasta", "limits": "memory=32m", "hostname": "a"}, map[string]bool{"limits": true}, []string{"limits"}},
		{"file changed", map[string]string{"network": "pasta", "limits": "", "hostname": "b"}, map[string]string{"network": "pasta", "limits": "", "hostname": "b"}, nil, []string{"hostname"}},
	}
	for _, tt := range tests {
		got := changedKeys(rec, tt.file, tt.cur, tt.flags)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: changedKeys = %v, want %v", tt.name, got, tt.want)
		}
	}
}
