package review

import (
	"reflect"
	"testing"
)

func TestParseIDMapAndToHost(t *testing.T) {
	m, err := parseIDMap("         0       1000          1\n         1     100000      65536\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []idRange{{0, 1000, 1}, {1, 100000, 65536}}
	if !reflect.DeepEqual(m, want) {
		t.Fatalf("parseIDMap = %+v, want %+v", m, want)
	}
	for _, tc := range []struct{ in, want uint32 }{
		{0, 1000},       // the sandbox's root is the user
		{1, 100000},     // the first subordinate id
		{1000, 100999},  // a user the sandbox made
		{65536, 165535}, // the last mapped id
		{65537, 65537},  // unmapped: left as it is
		{4294967295, 4294967295},
	} {
		if got := toHost(m, tc.in); got != tc.want {
			t.Errorf("toHost(%d) = %d, want %d", tc.in, got, tc.want)
		}
	}
	identity, _ := parseIDMap("0 0 4294967295\n")
	if got := toHost(identity, 4242); got != 4242 {
		t.Errorf("the host's own map changed 4242 to %d", got)
	}
	for _, bad := range []string{"0 1000\n", "0 x 1\n", "0 1000 1 2\n", "-1 0 1\n"} {
		if _, err := parseIDMap(bad); err == nil {
			t.Errorf("parseIDMap(%q) accepted it", bad)
		}
	}
}
