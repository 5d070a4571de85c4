package kube

// A small JSON-to-YAML writer for the manifests: every devbox command
// would otherwise pay for a YAML library's package init (tables and
// regular expressions) to serve this one command. It keeps the fields in
// the order the structs give them (apiVersion, kind, metadata, spec) and
// quotes every string that YAML could read as anything but that string.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// node is one JSON value with its object keys in order.
type node struct {
	scalar []byte // a JSON number, true, false, null or a quoted string
	keys   []string
	fields []*node // an object's values, by keys
	items  []*node // an array's values
	kind   byte    // 's' scalar, 'o' object, 'a' array
}

// toYAML renders v, marshalled as JSON, as block-style YAML.
func toYAML(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return jsonToYAML(b)
}

// jsonToYAML renders one JSON document as block-style YAML.
func jsonToYAML(b []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	n, err := readNode(dec)
	if err != nil {
		return nil, fmt.Errorf("read JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("read JSON: trailing data")
	}
	var out bytes.Buffer
	switch {
	case n.kind == 'o' && len(n.keys) > 0:
		writeObject(&out, n, 0)
	case n.kind == 'a' && len(n.items) > 0:
		writeArray(&out, n, 0)
	default:
		out.Write(inline(n))
		out.WriteByte('\n')
	}
	return out.Bytes(), nil
}

func readNode(dec *json.Decoder) (*node, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			return readObject(dec)
		}
		if t == '[' {
			return readArray(dec)
		}
		return nil, fmt.Errorf("unexpected %q", t)
	case string:
		return &node{kind: 's', scalar: quote(t)}, nil
	case json.Number:
		return &node{kind: 's', scalar: []byte(t)}, nil
	case bool:
		return &node{kind: 's', scalar: []byte(fmt.Sprint(t))}, nil
	default: // nil
		return &node{kind: 's', scalar: []byte("null")}, nil
	}
}

func readObject(dec *json.Decoder) (*node, error) {
	n := &node{kind: 'o'}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		v, err := readNode(dec)
		if err != nil {
			return nil, err
		}
		n.keys, n.fields = append(n.keys, key), append(n.fields, v)
	}
	_, err := dec.Token() // '}'
	return n, err
}

func readArray(dec *json.Decoder) (*node, error) {
	n := &node{kind: 'a'}
	for dec.More() {
		v, err := readNode(dec)
		if err != nil {
			return nil, err
		}
		n.items = append(n.items, v)
	}
	_, err := dec.Token() // ']'
	return n, err
}

// block reports whether n is written on the lines below its key or dash.
func block(n *node) bool {
	return n.kind == 'o' && len(n.keys) > 0 || n.kind == 'a' && len(n.items) > 0
}

// inline is n on one line: a scalar, {} or [].
func inline(n *node) []byte {
	switch n.kind {
	case 'o':
		return []byte("{}")
	case 'a':
		return []byte("[]")
	}
	if n.scalar[0] == '"' {
		if s := n.scalar[1 : len(n.scalar)-1]; plain(string(s)) {
			return s // plain needs no escapes, so the quoted form holds it as is
		}
	}
	return n.scalar
}

func writeObject(w *bytes.Buffer, n *node, indent int) {
	pad := strings.Repeat(" ", indent)
	for i, k := range n.keys {
		w.WriteString(pad)
		w.Write(inline(&node{kind: 's', scalar: quote(k)}))
		w.WriteByte(':')
		writeValue(w, n.fields[i], indent, false)
	}
}

func writeArray(w *bytes.Buffer, n *node, indent int) {
	pad := strings.Repeat(" ", indent)
	for _, it := range n.items {
		w.WriteString(pad)
		w.WriteByte('-')
		writeValue(w, it, indent, true)
	}
}

// writeValue writes v after "key:" or "-". An object in an array starts
// on the dash's line; an array under a key keeps the key's indent, as
// kubectl writes them.
func writeValue(w *bytes.Buffer, v *node, indent int, inArray bool) {
	if !block(v) {
		w.WriteByte(' ')
		w.Write(inline(v))
		w.WriteByte('\n')
		return
	}
	if v.kind == 'o' && inArray {
		w.WriteByte(' ')
		var first bytes.Buffer
		writeObject(&first, v, indent+2)
		w.Write(bytes.TrimLeft(first.Bytes(), " "))
		return
	}
	w.WriteByte('\n')
	if v.kind == 'o' {
		writeObject(w, v, indent+2)
		return
	}
	if inArray {
		writeArray(w, v, indent+2)
		return
	}
	writeArray(w, v, indent)
}

// quote writes s in YAML's double-quoted style, escaping what YAML does
// not allow in it as is (C0 and C1 controls, surrogates, U+FFFE/FFFF).
func quote(s string) []byte {
	var b bytes.Buffer
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r >= 0x20 && r <= 0x7e, r >= 0xa0 && r <= 0xd7ff, r >= 0xe000 && r <= 0xfffd && r != 0xfeff, r >= 0x10000:
			b.WriteRune(r)
		case r <= 0xffff:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			fmt.Fprintf(&b, `\U%08X`, r)
		}
	}
	b.WriteByte('"')
	return b.Bytes()
}

// plain reports whether s can be written unquoted and still read back as
// this string: a conservative set of characters, and nothing YAML 1.1 or
// 1.2 reads as a number, boolean, null or timestamp.
func plain(s string) bool {
	if s == "" || len(s) > 200 {
		return false
	}
	switch strings.ToLower(s) {
	case "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~", ".inf", ".nan", "-.inf", "+.inf":
		return false
	}
	c := s[0]
	if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '/' || c == '_') {
		return false // digits (numbers, dates, octal), signs, dots, YAML indicators
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_./=+@", c) >= 0
		if !ok {
			return false
		}
	}
	return true
}
