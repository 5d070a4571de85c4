package front

import (
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// checkStringArray sets vals on a stringArray and on pflag's own
// stringArray and fails where the two differ: the default, the value's
// string, type and slice after each Set, and Append and Replace.
func checkStringArray(t *testing.T, vals []string) {
	t.Helper()
	var ours, theirs []string
	fs := pflag.NewFlagSet("", pflag.ContinueOnError)
	fs.Var(newStringArray(&ours), "ours", "")
	fs.StringArrayVar(&theirs, "theirs", nil, "")
	o, p := fs.Lookup("ours"), fs.Lookup("theirs")
	same := func(when string) {
		t.Helper()
		if o.DefValue != p.DefValue || o.Value.String() != p.Value.String() || o.Value.Type() != p.Value.Type() ||
			!slices.Equal(ours, theirs) || (ours == nil) != (theirs == nil) ||
			!slices.Equal(o.Value.(pflag.SliceValue).GetSlice(), p.Value.(pflag.SliceValue).GetSlice()) {
			t.Fatalf("%q %s: ours %q %s %q, pflag's %q %s %q", vals, when, o.DefValue, o.Value, ours, p.DefValue, p.Value, theirs)
		}
	}
	same("registered")
	for _, v := range vals {
		if err := fs.Set("ours", v); err != nil {
			t.Fatal(err)
		}
		if err := fs.Set("theirs", v); err != nil {
			t.Fatal(err)
		}
		same("set")
	}
	o.Value.(pflag.SliceValue).Append("x,y")
	p.Value.(pflag.SliceValue).Append("x,y")
	same("appended")
	o.Value.(pflag.SliceValue).Replace(vals)
	p.Value.(pflag.SliceValue).Replace(vals)
	same("replaced")
}

func TestStringArrayIsPflags(t *testing.T) {
	for _, vals := range [][]string{
		nil, {""}, {"A=1"}, {"A=1", "B"}, {"a,b", `"q"`, "two words", "new\nline", ""}, {" lead", "trail ", "\r\n", "ü"},
	} {
		checkStringArray(t, vals)
	}
}

func FuzzStringArrayIsPflags(f *testing.F) {
	f.Add("A=1\x00B=2")
	f.Add("a,b\x00\"x\"\x00")
	f.Fuzz(func(t *testing.T, s string) {
		checkStringArray(t, strings.Split(s, "\x00"))
	})
}
