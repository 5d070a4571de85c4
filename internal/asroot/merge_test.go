package asroot

import (
	"encoding/json"
	"slices"
	"testing"
)

func TestMerge(t *testing.T) {
	var nop Op = func(json.RawMessage) (any, error) { return nil, nil }
	all := Merge(map[string]Op{"a": nop, "b": nop}, map[string]Op{"c": nop}, nil)
	var names []string
	for k := range all {
		names = append(names, k)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"a", "b", "c"}) {
		t.Errorf("Merge names = %q", names)
	}
}
