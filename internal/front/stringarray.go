package front

import (
	"bytes"
	"encoding/csv"
	"strings"
)

// stringArray is pflag's stringArray flag value, for the repeatable
// flags: the same type name, Set (the first value replaces the default,
// later ones append), slice methods and String, except that String of an
// empty value is "[]" without pflag's CSV writer. pflag calls String on
// every flag it registers, for its default, and the writer's 4 KiB buffer
// times seven repeatable flags was most of what the front's parse
// allocated. A test holds it to pflag's own.
type stringArray struct {
	value   *[]string
	changed bool
}

// newStringArray is a stringArray stored in p, empty.
func newStringArray(p *[]string) *stringArray {
	*p = nil
	return &stringArray{value: p}
}

func (s *stringArray) Set(val string) error {
	if !s.changed {
		*s.value = []string{val}
		s.changed = true
	} else {
		*s.value = append(*s.value, val)
	}
	return nil
}

func (s *stringArray) Append(val string) error {
	*s.value = append(*s.value, val)
	return nil
}

func (s *stringArray) Replace(val []string) error {
	out := make([]string, len(val))
	copy(out, val)
	*s.value = out
	return nil
}

func (s *stringArray) GetSlice() []string {
	return append(make([]string, 0, len(*s.value)), *s.value...)
}

func (s *stringArray) Type() string { return "stringArray" }

func (s *stringArray) String() string {
	if len(*s.value) == 0 {
		return "[]"
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(*s.value) // a bytes.Buffer takes every write
	w.Flush()
	return "[" + strings.TrimSuffix(b.String(), "\n") + "]"
}
