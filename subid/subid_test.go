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

func TestForSkipsMalformed(t *testing.T) {
	const file = `# /etc/subuid
alice:100000:65536

bob:165536:65536
1000:231072:1000
alice:300000:0
alice:notanumber:10
alice:400000
alice:500000:10
	carol:600000:10	
dave:-1:10
`
	tests := []struct {
		name string
		user string
		id   uint32
		want []Range
	}{
		{"name with multiple ranges in file order", "alice", 1001, []Range{{100000, 65536}, {500000, 10}}},
		{"numeric id and name", "eve", 1000, []Range{{231072, 1000}}},
		{"name and numeric id both", "alice", 1000, []Range{{100000, 65536}, {231072, 1000}, {500000, 10}}},
		{"surrounding blanks trimmed", "carol", 1002, []Range{{600000, 10}}},
		{"negative start skipped", "dave", 1003, nil},
		{"absent", "zed", 1004, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := For([]byte(file), tt.user, tt.id); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("For(%q, %d) = %v, want %v", tt.user, tt.id, got, tt.want)
			}
		})
	}
}

func FuzzFor(f *testing.F) {
	f.Add([]byte("alice:100000:65536\n"), "alice", uint32(1000))
	f.Add([]byte("1000:1:4294967295\n#x\n\n::\n"), "", uint32(1000))
	f.Add([]byte("a:4294967295:1\na:4294967294:2"), "a", uint32(0))
	f.Fuzz(func(t *testing.T, data []byte, name string, id uint32) {
		for _, r := range For(data, name, id) {
			if r.Count == 0 {
				t.Fatalf("zero count range %v", r)
			}
			if uint64(r.Start)+uint64(r.Count) > 1<<32 {
				t.Fatalf("range %v runs past 2^32", r)
			}
		}
	})
}
