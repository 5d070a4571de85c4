package config

import (
	"slices"
	"strings"
	"testing"
)

func TestParseEnvFile(t *testing.T) {
	host := map[string]string{"HOSTVAR": "from-host", "EMPTY": ""}
	lookup := func(k string) (string, bool) { v, ok := host[k]; return v, ok }
	tests := []struct {
		name, text string
		want       []string
		err        string
	}{
		{"plain", "A=1\nB=two words\n", []string{"A=1", "B=two words"}, ""},
		{"comments and blanks", "# c\n\n   \n  # indented\nA=1\r\n", []string{"A=1"}, ""},
		{"host value", "HOSTVAR\nEMPTY\nMISSING\n", []string{"HOSTVAR=from-host", "EMPTY="}, ""},
		{"quotes kept", `Q="x"` + "\n", []string{`Q="x"`}, ""},
		{"value with =", "URL=a=b\n", []string{"URL=a=b"}, ""},
		{"empty value", "E=\n", []string{"E="}, ""},
		{"space in name", "A B=1\n", nil, "env:1:1: invalid variable name \"A B\""},
		{"space before =", "A =1\n", nil, "env:1:1: invalid variable name"},
		{"no name", "x\n=1\n", nil, "env:2:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseEnvFile([]byte(tt.text), "env", lookup)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("ParseEnvFile = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func FuzzParseEnvFile(f *testing.F) {
	f.Add([]byte("A=1\n# c\nB\n"))
	f.Add([]byte("=\n\x00=1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ParseEnvFile(data, "f", func(string) (string, bool) { return "h", true })
		if err != nil {
			return
		}
		for _, kv := range got {
			k, _, ok := strings.Cut(kv, "=")
			if !ok || checkEnvName(k) != nil {
				t.Fatalf("entry %q has no valid name", kv)
			}
		}
	})
}
