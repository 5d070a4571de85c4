package subid

import (
	"reflect"
	"testing"
)

const sample = `# comment
alice:100000:65536

bob:165536:65536
1001:231072:1000
alice:300000:10
  alice:400000:5  
alice:500000
alice:x:10
alice:600000:0
alice:700000:1:extra
alice:4294967295:2
:800000:10
`

func TestFor(t *testing.T) {
	tests := []struct {
		name string
		user string
		id   uint32
		want []Range
	}{
		{"by name, file order", "alice", 1000, []Range{{100000, 65536}, {300000, 10}, {400000, 5}}},
		{"by numeric id", "carol", 1001, []Range{{231072, 1000}}},
		{"name and id both match", "bob", 1001, []Range{{165536, 65536}, {231072, 1000}}},
		{"empty name matches id only", "", 1001, []Range{{231072, 1000}}},
		{"no entry", "dave", 1002, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := For([]byte(sample), tt.user, tt.id)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("For(%q, %d) = %v, want %v", tt.user, tt.id, got, tt.want)
			}
		})
	}
}

func TestNextFree(t *testing.T) {
	tests := []struct {
		name  string
		files [][]byte
		want  uint32
		ok    bool
	}{
		{"empty", nil, 100000, true},
		{"below first free", [][]byte{[]byte("a:1000:10\n")}, 100000, true},
		{"after highest in either file", [][]byte{
			[]byte("a:100000:65536\n"), []byte("a:100000:65536\nb:165536:65536\n"),
		}, 231072, true},
		{"full", [][]byte{[]byte("a:4294900000:60000\n")}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := NextFree(tt.files...)
			if got != tt.want || ok != tt.ok {
				t.Errorf("NextFree = %d, %v; want %d, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestUsermodArgs(t *testing.T) {
	got := UsermodArgs(100000, true, true)
	want := []string{"--add-subuids", "100000-165535", "--add-subgids", "100000-165535"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("UsermodArgs = %v, want %v", got, want)
	}
	if got := UsermodArgs(100000, false, true); len(got) != 2 || got[0] != "--add-subgids" {
		t.Errorf("UsermodArgs(gids only) = %v", got)
	}
}
