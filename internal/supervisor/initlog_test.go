package supervisor

import (
	"bytes"
	"strings"
	"testing"
)

func TestEscapeControl(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"plain text", "plain text"},
		{"tab\tstays", "tab\tstays"},
		{"\x1b]0;owned\x07title", `\x1b]0;owned\atitle`},
		{"\x1b[2J\x1b[H", `\x1b[2J\x1b[H`},
		{"cr\rover", `cr\rover`},
		{"del\x7f", `del\x7f`},
		{"c1 \u009b31m", `c1 \u009b31m`},
		{"next line \u0085", `next line \u0085`},
		{"bad utf-8 \xff\xfe", `bad utf-8 \xff\xfe`},
		{`back\slash`, `back\\slash`},
		{"ünïcode ✓", "ünïcode ✓"},
		{"nul\x00", `nul\x00`},
	}
	for _, tt := range tests {
		if got := escapeControl([]byte(tt.in)); got != tt.want {
			t.Errorf("escapeControl(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCopyEscaped(t *testing.T) {
	long := strings.Repeat("a", maxLogLine+10)
	tests := []struct {
		desc, in, want string
	}{
		{"lines", "one\ntwo\n", "init: one\ninit: two\n"},
		{"no final newline", "one\ntwo", "init: one\ninit: two\n"},
		{"embedded escape", "x\x1b[31my\n", "init: x\\x1b[31my\n"},
		{"long line is split", long + "\n", "init: " + long[:maxLogLine] + "\ninit: " + long[maxLogLine:] + "\n"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			var out bytes.Buffer
			copyEscaped(&out, strings.NewReader(tt.in), "init: ")
			if out.String() != tt.want {
				t.Errorf("got %q, want %q", out.String(), tt.want)
			}
		})
	}
}
