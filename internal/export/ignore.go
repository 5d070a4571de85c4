package export

import (
	"bufio"
	"bytes"
	"regexp"
	"strings"
)

// IgnoreFiles are read in each directory of the project, in this order; a
// later pattern overrides an earlier one, as within one .gitignore.
var IgnoreFiles = []string{".gitignore", ".devboxignore"}

// ignoreRule is one pattern of a .gitignore-style file.
type ignoreRule struct {
	re      *regexp.Regexp
	negate  bool
	dirOnly bool
}

// ignoreSet holds the rules of one directory's ignore files; base is that
// directory relative to the project ("" for the top).
type ignoreSet struct {
	base  string
	rules []ignoreRule
}

// parseIgnore reads gitignore syntax: comments, blank lines, "!" to
// re-include, a trailing "/" for directories only, a "/" elsewhere to
// anchor the pattern to the file's directory, and *, ?, [...] and ** globs.
func parseIgnore(data []byte) []ignoreRule {
	var out []ignoreRule
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if r, ok := parseIgnoreLine(sc.Text()); ok {
			out = append(out, r)
		}
	}
	return out
}

func parseIgnoreLine(line string) (ignoreRule, bool) {
	line = strings.TrimRight(line, "\r")
	if !strings.HasSuffix(line, `\ `) {
		line = strings.TrimRight(line, " ")
	}
	if line == "" || line[0] == '#' {
		return ignoreRule{}, false
	}
	var r ignoreRule
	if line[0] == '!' {
		r.negate, line = true, line[1:]
	} else if strings.HasPrefix(line, `\!`) || strings.HasPrefix(line, `\#`) {
		line = line[1:]
	}
	if strings.HasSuffix(line, "/") {
		r.dirOnly, line = true, strings.TrimRight(line, "/")
	}
	if line == "" {
		return ignoreRule{}, false
	}
	anchored := strings.Contains(line, "/")
	line = strings.TrimPrefix(line, "/")
	expr := globRegexp(line)
	if anchored {
		expr = "^" + expr + "$"
	} else {
		expr = "(^|/)" + expr + "$"
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return ignoreRule{}, false // a pattern git would not match either
	}
	r.re = re
	return r, true
}

// globRegexp translates a glob: "**/" is any number of directories, "/**"
// everything inside, "*" and "?" stay within one path component.
func globRegexp(g string) string {
	var b strings.Builder
	for i := 0; i < len(g); i++ {
		c := g[i]
		switch {
		case strings.HasPrefix(g[i:], "**/"):
			b.WriteString("(.*/)?")
			i += 2
		case strings.HasPrefix(g[i:], "/**") && i+3 == len(g):
			b.WriteString("/.*")
			i += 2
		case strings.HasPrefix(g[i:], "**"):
			b.WriteString(".*")
			i++
		case c == '*':
			b.WriteString("[^/]*")
		case c == '?':
			b.WriteString("[^/]")
		case c == '[':
			end := strings.IndexByte(g[i+1:], ']')
			if end < 0 {
				b.WriteString(`\[`)
				continue
			}
			class := g[i+1 : i+1+end]
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			b.WriteString("[" + strings.ReplaceAll(class, `\`, `\\`) + "]")
			i += end + 1
		case c == '\\' && i+1 < len(g):
			i++
			b.WriteString(regexp.QuoteMeta(string(g[i])))
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	return b.String()
}

// ignored reports whether rel (relative to the project, slash-separated)
// is ignored by the sets that apply to it, outermost first: the last
// matching rule wins.
func ignored(sets []ignoreSet, rel string, isDir bool) bool {
	out := false
	for _, s := range sets {
		p := rel
		if s.base != "" {
			var ok bool
			if p, ok = strings.CutPrefix(rel, s.base+"/"); !ok {
				continue
			}
		}
		for _, r := range s.rules {
			if r.dirOnly && !isDir {
				continue
			}
			if r.re.MatchString(p) {
				out = !r.negate
			}
		}
	}
	return out
}
