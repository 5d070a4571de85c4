package userns

import (
	"reflect"
	"testing"
)

func TestKeepIDMap(t *testing.T) {
	tests := []struct {
		id, size uint32
		want     []Mapping
	}{
		{1000, 65537, []Mapping{{1000, 0, 1}, {0, 1, 1000}, {1001, 1001, 64536}}},
		{1000, 1, []Mapping{{1000, 0, 1}}},
		{0, 65537, []Mapping{{0, 0, 1}, {1, 1, 65536}}},
		// a range smaller than the id: the low ids that exist, no tail
		{1000, 500, []Mapping{{1000, 0, 1}, {0, 1, 499}}},
		{1000, 1001, []Mapping{{1000, 0, 1}, {0, 1, 1000}}},
	}
	for _, tt := range tests {
		got := KeepIDMap(tt.id, tt.size)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("KeepIDMap(%d, %d) = %v, want %v", tt.id, tt.size, got, tt.want)
		}
	}
}
