package project

import (
	"regexp"
	"strings"
	"testing"
)

// The validators were regular expressions; they are loops now (the
// expressions cost every devbox command ~150 KB of heap at package init).
// These fuzz tests hold the loops to the expressions' exact meaning.
var (
	refName     = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$`)
	refHost     = regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$`)
	refUnsafe   = regexp.MustCompile(`[^a-zA-Z0-9-]+`)
	refUnsafeLC = regexp.MustCompile(`[^a-z0-9-]+`)
)

func FuzzValidatorsMatchTheirExpressions(f *testing.F) {
	for _, s := range []string{"a", "app-1", "-x", "a..b", "a.b-", strings.Repeat("x", 63), strings.Repeat("x", 64), "日本", "a_b", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := ValidateName(s) == nil, refName.MatchString(s); got != want {
			t.Errorf("ValidateName(%q) ok=%v, expression says %v", s, got, want)
		}
		if got, want := ValidateHostname(s) == nil, len(s) <= 253 && refHost.MatchString(s); got != want {
			t.Errorf("ValidateHostname(%q) ok=%v, expression says %v", s, got, want)
		}
		if got, want := squash(s, isAlnumDash), refUnsafe.ReplaceAllString(s, "-"); got != want && strings.ToValidUTF8(s, "") == s {
			t.Errorf("squash(%q) = %q, expression gives %q", s, got, want)
		}
		if got, want := squash(s, isLowerAlnumDash), refUnsafeLC.ReplaceAllString(s, "-"); got != want && strings.ToValidUTF8(s, "") == s {
			t.Errorf("squash lower(%q) = %q, expression gives %q", s, got, want)
		}
	})
}
