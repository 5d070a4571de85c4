package review

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// maxTextDiff is the largest file shown as a text diff; a larger one gets
// the one-line summary of a binary file.
const maxTextDiff = 8 << 20

// Report is devbox diff --json.
type Report struct {
	Sandbox string   `json:"sandbox"`
	Project string   `json:"project"`
	Changes []Change `json:"changes"`
}

// WriteJSON writes the report, with an empty list rather than null.
func WriteJSON(w io.Writer, r Report) error {
	if r.Changes == nil {
		r.Changes = []Change{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteDiff writes each change as a unified diff (--- and +++ headers and
// hunks, which patch reads), a one-line summary for binaries and
// directories.
func WriteDiff(w io.Writer, project, upper string, changes []Change) error {
	for _, c := range changes {
		if err := writeOne(w, project, upper, c); err != nil {
			return err
		}
	}
	return nil
}

func writeOne(w io.Writer, project, upper string, c Change) error {
	fmt.Fprintf(w, "diff --devbox a/%s b/%s\n", c.Path, c.Path)
	if c.Protected {
		fmt.Fprintf(w, "protected path: 'devbox apply' skips it without --include-protected\n")
	}
	switch {
	case c.Kind == Added:
		fmt.Fprintf(w, "new %s mode %s\n", c.Type, c.Mode)
	case c.Kind == Deleted:
		fmt.Fprintf(w, "deleted %s mode %s\n", c.Type, c.OldMode)
	case c.OldType != "":
		fmt.Fprintf(w, "type %s -> %s\n", c.OldType, c.Type)
	case c.OldMode != "" && c.Mode != "":
		fmt.Fprintf(w, "old mode %s\nnew mode %s\n", c.OldMode, c.Mode)
	}
	switch {
	case c.OldOwner != "":
		fmt.Fprintf(w, "old owner %s\nnew owner %s\n", c.OldOwner, c.Owner)
	case c.Owner != "":
		fmt.Fprintf(w, "owner %s\n", c.Owner)
	}
	switch {
	case c.Kind == Replaced:
		fmt.Fprintf(w, "replaced directory: the sandbox emptied it; entries not listed below it are deleted\n")
		return nil
	case c.Type == TypeDir || c.Kind == ModeOnly || c.Kind == OwnerOnly || c.Type == TypeOther && c.Kind != Deleted:
		return nil
	case c.Type == TypeSymlink || c.OldType == TypeSymlink:
		return writeLinks(w, project, upper, c)
	case c.Kind == Deleted && c.Type != TypeFile:
		return nil
	}
	return writeText(w, project, upper, c)
}

// writeLinks writes a symlink's change; where a file became a link or a
// link a file, the file's side is shown as its content removed or added.
func writeLinks(w io.Writer, project, upper string, c Change) error {
	if c.OldType == TypeFile {
		gone := c
		gone.Kind, gone.OldType, gone.Binary = Deleted, "", false
		if err := writeText(w, project, upper, gone); err != nil {
			return err
		}
	}
	if c.OldTarget != "" {
		fmt.Fprintf(w, "-symlink -> %s\n", c.OldTarget)
	}
	if c.Target != "" {
		fmt.Fprintf(w, "+symlink -> %s\n", c.Target)
	}
	if c.Type == TypeFile {
		added := c
		added.Kind, added.OldType = Added, ""
		return writeText(w, project, upper, added)
	}
	return nil
}

// writeText writes a file's content change: the hunks for text, one line
// for a binary or a very large file.
func writeText(w io.Writer, project, upper string, c Change) error {
	oldB, oldSize, err := sideContent(project, c.Path, c.Kind != Added && (c.OldType == "" || c.OldType == TypeFile))
	if err != nil {
		return err
	}
	newB, newSize, err := sideContent(upper, c.upper.phys, c.Kind != Deleted && c.Type == TypeFile)
	if err != nil {
		return err
	}
	if c.Binary || oldSize > maxTextDiff || newSize > maxTextDiff || strings.ContainsRune(string(oldB[:min(len(oldB), binarySniff)]), 0) {
		fmt.Fprintf(w, "Binary files differ (%d -> %d bytes)\n", oldSize, newSize)
		return nil
	}
	from, to := "a/"+c.Path, "b/"+c.Path
	if c.Kind == Added || c.OldType != "" {
		from = "/dev/null"
	}
	if c.Kind == Deleted {
		to = "/dev/null"
	}
	fmt.Fprintf(w, "--- %s\n+++ %s\n", from, to)
	writeUnified(w, oldB, newB)
	return nil
}

// sideContent reads one side's file (nothing when want is false), or
// only its size when it is too large to show.
func sideContent(root, rel string, want bool) ([]byte, int64, error) {
	if !want {
		return nil, 0, nil
	}
	p := filepath.Join(root, rel)
	fi, err := os.Lstat(p)
	if err != nil {
		return nil, 0, err
	}
	if fi.Size() > maxTextDiff {
		return nil, fi.Size(), nil
	}
	b, err := os.ReadFile(p)
	return b, int64(len(b)), err
}

// WriteStat writes one line per change and a summary: the kind's letter
// (A added, M modified, D deleted, R replaced, m mode, o owner), the path,
// and what changed for links, types, modes and owners.
func WriteStat(w io.Writer, changes []Change) {
	counts := map[string]int{}
	for _, c := range changes {
		counts[c.Kind]++
		letter := map[string]string{Added: "A", Modified: "M", Deleted: "D", Replaced: "R", ModeOnly: "m", OwnerOnly: "o"}[c.Kind]
		p := c.Path
		if c.Type == TypeDir {
			p += "/"
		}
		var notes []string
		if c.OldType != "" {
			notes = append(notes, c.OldType+" -> "+c.Type)
		}
		if c.OldMode != "" && c.Mode != "" {
			notes = append(notes, c.OldMode+" -> "+c.Mode)
		}
		switch {
		case c.OldOwner != "":
			notes = append(notes, "owner "+c.OldOwner+" -> "+c.Owner)
		case c.Owner != "":
			notes = append(notes, "owner "+c.Owner)
		}
		if c.Target != "" {
			notes = append(notes, "-> "+c.Target)
		}
		if c.Binary {
			notes = append(notes, "binary")
		}
		if c.Protected {
			notes = append(notes, "protected")
		}
		line := letter + " " + p
		if len(notes) > 0 {
			line += " (" + strings.Join(notes, ", ") + ")"
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintf(w, "%d changes: %d added, %d modified, %d deleted, %d replaced, %d mode only, %d owner only\n",
		len(changes), counts[Added], counts[Modified], counts[Deleted], counts[Replaced], counts[ModeOnly], counts[OwnerOnly])
}

// DiffOptions are one devbox diff: the changes below Paths, in Format
// ("" for unified diffs, "stat" or "json").
type DiffOptions struct {
	Sandbox string   `json:"sandbox"`
	Project string   `json:"project"`
	Layer   Layer    `json:"layer"`
	Paths   []string `json:"paths,omitempty"`
	Format  string   `json:"format,omitempty"`
}

// Diff writes the selected changes in the chosen format. A layer holding
// files only the sandbox's other ids may read fails with an error that
// errors.Is fs.ErrPermission: the caller runs it through Ops instead.
func Diff(w io.Writer, o DiffOptions) error {
	seen := o.Layer.loadSame()
	changes, err := changesSeen(o.Project, o.Layer.Upper(), seen)
	if err != nil {
		return err
	}
	o.Layer.saveSame(seen)
	changes = MarkProtected(Select(changes, o.Paths))
	switch o.Format {
	case "json":
		return WriteJSON(w, Report{Sandbox: o.Sandbox, Project: o.Project, Changes: changes})
	case "stat":
		WriteStat(w, changes)
		return nil
	}
	return WriteDiff(w, o.Project, o.Layer.Upper(), changes)
}

// diffInNS renders the diff as the sandbox's root and returns the text.
func diffInNS(arg json.RawMessage) (any, error) {
	var o DiffOptions
	if err := json.Unmarshal(arg, &o); err != nil {
		return nil, fmt.Errorf("decode arguments: %w", err)
	}
	var b strings.Builder
	err := Diff(&b, o)
	return b.String(), err
}
