package storage

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"slices"
	"testing"
	"time"
)

type ent struct {
	name, link string
	typ        byte
	body       string
}

func rawTar(t *testing.T, es []ent, mtime time.Time) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range es {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Linkname: e.link, Mode: 0o644, Size: int64(len(e.body)), ModTime: mtime, Uname: "someone",
			PAXRecords: map[string]string{"SCHILY.xattr.user.overlay.opaque": "y", "SCHILY.xattr.security.capability": "cap"}}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(e.body))
	}
	tw.Close()
	return b.Bytes()
}

func normalise(t *testing.T, in []byte, o LayerOptions) []byte {
	t.Helper()
	spool, err := os.CreateTemp(t.TempDir(), "spool")
	if err != nil {
		t.Fatal(err)
	}
	defer spool.Close()
	var out bytes.Buffer
	if err := WriteLayer(bytes.NewReader(in), &out, spool, o); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestWriteLayer_SortedFixedAndFiltered: walk order and times do not
// matter, devbox's mount points go, a hard link that sorts before its
// target takes the content.
func TestWriteLayer_SortedFixedAndFiltered(t *testing.T) {
	es := []ent{
		{name: "z/", typ: tar.TypeDir},
		{name: "z/target", typ: tar.TypeReg, body: "data"},
		{name: "a-link", typ: tar.TypeLink, link: "z/target"},
		{name: "home/", typ: tar.TypeDir},
		{name: "home/user/", typ: tar.TypeDir},
		{name: "etc/", typ: tar.TypeDir},
		{name: "etc/.wh.hosts", typ: tar.TypeReg},
		{name: "etc/.wh.gone", typ: tar.TypeReg},
		{name: "tmp/", typ: tar.TypeDir},
	}
	o := LayerOptions{Epoch: time.Unix(0, 0), Exclude: []string{"/home/user", "/etc/hosts", "/tmp"}}
	one := normalise(t, rawTar(t, es, time.Now()), o)
	slices.Reverse(es[3:])
	two := normalise(t, rawTar(t, es, time.Unix(12345, 0)), o)
	if !bytes.Equal(one, two) {
		t.Fatal("the same entries in another order or time give other bytes")
	}
	tr := tar.NewReader(bytes.NewReader(one))
	var names []string
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		body, _ := io.ReadAll(tr)
		switch {
		case h.Name == "a-link" && (h.Typeflag != tar.TypeReg || string(body) != "data"):
			t.Errorf("a-link: want the content, got type %c %q", h.Typeflag, body)
		case h.Name == "z/target" && (h.Typeflag != tar.TypeLink || h.Linkname != "a-link"):
			t.Errorf("z/target: want a link to a-link, got type %c -> %q", h.Typeflag, h.Linkname)
		}
		if h.Uname != "" || !h.ModTime.Equal(time.Unix(0, 0)) || h.PAXRecords["SCHILY.xattr.user.overlay.opaque"] != "" || h.PAXRecords["SCHILY.xattr.security.capability"] != "cap" {
			t.Errorf("%s: metadata not normalised: %+v", h.Name, h)
		}
	}
	want := []string{"a-link", "etc/", "etc/.wh.gone", "z/", "z/target"}
	if !slices.Equal(names, want) {
		t.Errorf("entries %q, want %q", names, want)
	}
}
