package export

import "testing"

func TestIgnored(t *testing.T) {
	top := ignoreSet{rules: parseIgnore([]byte("# comment\n*.log\nbuild/\n/root-only\n!keep.log\ndocs/**/*.tmp\n**/cache\n\\#hash\n"))}
	sub := ignoreSet{base: "sub", rules: parseIgnore([]byte("drop.txt\n!x.log\n"))}
	sets := []ignoreSet{top, sub}
	for _, tc := range []struct {
		path string
		dir  bool
		want bool
	}{
		{"a.log", false, true},
		{"deep/a.log", false, true},
		{"keep.log", false, false},
		{"build", true, true},
		{"build", false, false}, // a file named build: dir-only pattern
		{"x/build", true, true},
		{"root-only", false, true},
		{"x/root-only", false, false},
		{"docs/a/b/c.tmp", false, true},
		{"docs/c.tmp", false, true},
		{"other/c.tmp", false, false},
		{"a/b/cache", true, true},
		{"#hash", false, true},
		{"sub/drop.txt", false, true},
		{"drop.txt", false, false},
		{"sub/x.log", false, false},
		{"main.go", false, false},
	} {
		if got := ignored(sets, tc.path, tc.dir); got != tc.want {
			t.Errorf("ignored(%q, dir=%v) = %v, want %v", tc.path, tc.dir, got, tc.want)
		}
	}
}

func FuzzParseIgnore(f *testing.F) {
	for _, s := range []string{"*.log\n!a\n", "[a-", "a/**/b/", "\\", "**", "[!x]y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rules := parseIgnore([]byte(s))
		ignored([]ignoreSet{{rules: rules}}, "a/b.log", false)
	})
}
