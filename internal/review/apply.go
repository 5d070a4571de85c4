package review

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"

	"golang.org/x/sys/unix"
)

// ApplyOptions are one devbox apply: the changes below Paths (all when
// empty) of the layer, into Project.
type ApplyOptions struct {
	Project string   `json:"project"`
	Layer   Layer    `json:"layer"`
	Paths   []string `json:"paths,omitempty"`
	// Force applies conflicts too; Partial applies what does not conflict
	// when something does; IncludeProtected applies protected paths.
	Force            bool `json:"force,omitempty"`
	Partial          bool `json:"partial,omitempty"`
	IncludeProtected bool `json:"include_protected,omitempty"`
}

// Conflict is a change whose real entry changed since the sandbox began
// it: Real and Sandbox describe both versions (a sha256 of a file's
// content, or what the entry is).
type Conflict struct {
	Path    string `json:"path"`
	Why     string `json:"why"`
	Real    string `json:"real"`
	Sandbox string `json:"sandbox"`
}

// ApplyResult says what an apply did.
type ApplyResult struct {
	Applied   []string   `json:"applied"`
	Protected []string   `json:"protected,omitempty"` // skipped: protected paths
	Unapplied []string   `json:"unapplied,omitempty"` // skipped: devices, fifos and sockets
	Conflicts []Conflict `json:"conflicts,omitempty"`
	// Owned are the applied entries whose owner is not the user's own
	// (path -> "uid:gid" in the host's ids): apply gives them the owner
	// they have in the sandbox, a subordinate id of the user's.
	Owned map[string]string `json:"owned,omitempty"`
}

// ErrConflicts is returned, with the result listing them, when conflicts
// stopped an apply (all or nothing) or were left out of it (Partial).
var ErrConflicts = errors.New("the real project changed under some of the sandbox's changes")

// ErrNeedsRoot means a change carries an owner other than the caller, or
// a file the caller cannot read: the apply must run as the sandbox's root
// (internal/asroot, Ops). Nothing was changed.
var ErrNeedsRoot = errors.New("the changes carry ids only the sandbox's root owns")

// Apply writes the selected changes into the real project. Nothing is
// written until every change has passed the conflict check (unless
// Partial or Force). Each file is written to a temporary file beside it
// and renamed over the old one, with the sandbox's owner, mode and
// modification time, so a killed apply leaves every file old or new.
// Applied changes leave the upper layer. The sandbox must be stopped.
func Apply(o ApplyOptions) (ApplyResult, error) {
	var res ApplyResult
	all, err := Changes(o.Project, o.Layer.Upper())
	if errors.Is(err, fs.ErrPermission) {
		return res, fmt.Errorf("%w: %w", ErrNeedsRoot, err)
	}
	if err != nil {
		return res, err
	}
	if err := removeApplyTemps(o.Project, all); err != nil {
		return res, err
	}
	all = MarkProtected(all)
	base, err := o.Layer.ReadBaseline()
	if err != nil {
		return res, err
	}
	if base == nil {
		return res, fmt.Errorf("the review layer %s has no baseline of the project (%s): start the sandbox once to record it", o.Layer.Dir, o.Layer.baseFile())
	}
	plan, err := o.plan(Select(all, o.Paths), base, &res)
	if err != nil {
		return res, err
	}
	if len(res.Conflicts) > 0 && !o.Partial {
		return res, ErrConflicts
	}
	a := applier{ApplyOptions: o}
	if err := a.run(plan, &res); err != nil {
		return res, err
	}
	if err := pruneUnchanged(o.Project, o.Layer.Upper(), o.Paths); err != nil {
		return res, fmt.Errorf("take the applied changes out of the review layer: %w", err)
	}
	if err := o.leaveUpper(all, plan); err != nil {
		return res, fmt.Errorf("take the applied changes out of the review layer: %w", err)
	}
	if len(res.Conflicts) > 0 {
		return res, ErrConflicts
	}
	return res, nil
}

// plan picks the changes to apply: protected ones and conflicts out,
// unless allowed. It fails with ErrNeedsRoot before anything is written.
func (o ApplyOptions) plan(sel []Change, base Baseline, res *ApplyResult) ([]Change, error) {
	var plan []Change
	for _, c := range sel {
		switch {
		case c.Protected && !o.IncludeProtected:
			res.Protected = append(res.Protected, c.Path)
			continue
		case c.Type == TypeOther && c.Kind != Deleted:
			res.Unapplied = append(res.Unapplied, c.Path)
			continue
		}
		if c.Kind != Deleted && os.Getuid() != 0 && !(sameOwner(c.upper.info) && o.ownReal(c.Path)) {
			return nil, ErrNeedsRoot
		}
		if !o.Force {
			cf, err := o.conflict(c, base)
			if err != nil {
				return nil, err
			}
			if cf != nil {
				res.Conflicts = append(res.Conflicts, *cf)
				continue
			}
		}
		plan = append(plan, c)
	}
	return plan, nil
}

// ownReal says whether the real entry at rel is absent or the caller's:
// apply changes the owner and mode of an existing entry in place, which
// only its owner (or the namespace's root) may.
func (o ApplyOptions) ownReal(rel string) bool {
	var st unix.Stat_t
	if err := unix.Lstat(filepath.Join(o.Project, rel), &st); err != nil {
		return true
	}
	return sameOwner(st)
}

// conflict checks one change against the baseline.
func (o ApplyOptions) conflict(c Change, base Baseline) (*Conflict, error) {
	why, err := o.realChanged(c.Path, base)
	if err != nil || why == "" {
		if err == nil && c.Kind == Deleted && c.Type == TypeDir {
			why, err = o.treeChanged(c.Path, base)
		}
		if err != nil || why == "" {
			return nil, err
		}
	}
	if c.Type == TypeDir && c.Kind == Added && why == "created on the host since the sandbox started" {
		if fi, err := os.Lstat(filepath.Join(o.Project, c.Path)); err == nil && fi.IsDir() {
			return nil, nil // both made the directory: its entries are checked on their own
		}
	}
	return &Conflict{Path: c.Path, Why: why, Real: describe(filepath.Join(o.Project, c.Path)), Sandbox: o.describeUpper(c)}, nil
}

// realChanged says how the real entry at rel differs from its baseline,
// or "".
func (o ApplyOptions) realChanged(rel string, base Baseline) (string, error) {
	var st unix.Stat_t
	err := unix.Lstat(filepath.Join(o.Project, rel), &st)
	exists := err == nil
	if err != nil && !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.ENOTDIR) {
		return "", &os.PathError{Op: "lstat", Path: filepath.Join(o.Project, rel), Err: err}
	}
	id, had := base[rel]
	switch {
	case !had && exists:
		return "created on the host since the sandbox started", nil
	case had && !exists:
		return "deleted on the host since the sandbox copied it", nil
	case had && !id.Same(identOf(&st)):
		return "changed on the host since the sandbox copied it", nil
	}
	return "", nil
}

// treeChanged checks every real entry below a directory the sandbox
// deleted.
func (o ApplyOptions) treeChanged(rel string, base Baseline) (string, error) {
	var why string
	root := filepath.Join(o.Project, rel)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		sub := filepath.ToSlash(p[len(o.Project)+1:])
		w, err := o.realChanged(sub, base)
		if w != "" {
			why = sub + " " + w
			return filepath.SkipAll
		}
		return err
	})
	return why, err
}

// describe is a real or upper entry for a conflict: a file's sha256, or
// what it is.
func describe(p string) string {
	fi, err := os.Lstat(p)
	switch {
	case err != nil:
		return "absent"
	case fi.IsDir():
		return "directory"
	case fi.Mode()&os.ModeSymlink != 0:
		t, _ := os.Readlink(p)
		return "symlink -> " + t
	case !fi.Mode().IsRegular():
		return "special file"
	}
	f, err := os.Open(p)
	if err != nil {
		return "unreadable: " + err.Error()
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "unreadable: " + err.Error()
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

func (o ApplyOptions) describeUpper(c Change) string {
	if c.Kind == Deleted {
		return "deleted"
	}
	return describe(filepath.Join(o.Layer.Upper(), c.upper.phys))
}

// tempPrefix starts the name of every file apply writes beside a target
// before renaming it over it.
const tempPrefix = ".devbox-apply-"

// removeApplyTemps removes what a killed apply left beside its targets:
// its temporary files, in the real directories that hold a change. A
// killed apply leaves every change in the layer (they leave it only when
// all are applied), so these are all the directories it wrote in.
func removeApplyTemps(project string, changes []Change) error {
	dirs := map[string]bool{}
	for _, c := range changes {
		dirs[path.Dir(c.Path)] = true
		if c.Type == TypeDir {
			dirs[c.Path] = true
		}
	}
	for d := range dirs {
		ms, err := filepath.Glob(filepath.Join(project, d, tempPrefix+"*"))
		if err != nil {
			return err
		}
		for _, m := range ms {
			if err := os.Remove(m); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("remove %s, left by a killed apply: %w", m, err)
			}
		}
	}
	return nil
}

// applier writes changes into the project.
type applier struct {
	ApplyOptions
	dirModes []Change // set last, deepest first: a read-only dir must take its entries first
}

// run applies deletions first (deepest first), then the rest parents
// first, then directory modes.
func (a *applier) run(plan []Change, res *ApplyResult) error {
	var dels, rest []Change
	for _, c := range plan {
		if c.Kind == Deleted {
			dels = append(dels, c)
		} else {
			rest = append(rest, c)
		}
	}
	sort.Slice(dels, func(i, j int) bool { return dels[i].Path > dels[j].Path })
	ids, err := readIDMaps()
	if err != nil {
		return err
	}
	for _, c := range append(dels, rest...) {
		if err := a.one(c); err != nil {
			return fmt.Errorf("apply %s (applied before it: %d changes): %w", c.Path, len(res.Applied), err)
		}
		res.Applied = append(res.Applied, c.Path)
		if o := ids.owner(c.upper.info.Uid, c.upper.info.Gid); c.Kind != Deleted && o != ids.own() {
			if res.Owned == nil {
				res.Owned = map[string]string{}
			}
			res.Owned[c.Path] = o
		}
	}
	sort.Slice(a.dirModes, func(i, j int) bool { return a.dirModes[i].Path > a.dirModes[j].Path })
	for _, c := range a.dirModes {
		if err := a.setMeta(filepath.Join(a.Project, c.Path), c.upper.info, false); err != nil {
			return fmt.Errorf("apply %s: %w", c.Path, err)
		}
	}
	return nil
}

func (a *applier) one(c Change) error {
	dst := filepath.Join(a.Project, c.Path)
	src := filepath.Join(a.Layer.Upper(), c.upper.phys)
	switch {
	case c.Kind == Deleted:
		return removeAll(dst)
	case c.Type == TypeDir:
		if c.OldType != "" {
			if err := removeAll(dst); err != nil {
				return err
			}
		}
		if err := a.parents(c.Path); err != nil {
			return err
		}
		if err := os.Mkdir(dst, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
		a.dirModes = append(a.dirModes, c)
		return nil
	case c.Kind == ModeOnly || c.Kind == OwnerOnly:
		return a.setMeta(dst, c.upper.info, false)
	}
	if err := a.parents(c.Path); err != nil {
		return err
	}
	if c.OldType == TypeDir {
		if err := removeAll(dst); err != nil {
			return err
		}
	}
	if c.Type == TypeSymlink {
		return a.replaceSymlink(src, dst, c.upper.info)
	}
	return a.replaceFile(src, dst, c.upper.info)
}

// parents makes the missing parent directories of rel as the upper layer
// has them.
func (a *applier) parents(rel string) error {
	dir := path.Dir(rel)
	if dir == "." {
		return nil
	}
	if _, err := os.Lstat(filepath.Join(a.Project, dir)); err == nil {
		return nil
	}
	if err := a.parents(dir); err != nil {
		return err
	}
	var st unix.Stat_t
	if err := unix.Lstat(filepath.Join(a.Layer.Upper(), dir), &st); err != nil {
		return &os.PathError{Op: "lstat", Path: filepath.Join(a.Layer.Upper(), dir), Err: err}
	}
	if err := os.Mkdir(filepath.Join(a.Project, dir), 0o700); err != nil {
		return err
	}
	a.dirModes = append(a.dirModes, Change{Path: dir, upper: node{info: st}})
	return nil
}

// replaceFile copies src to a temporary file beside dst, gives it the
// sandbox's owner, mode and times, and renames it over dst.
func (a *applier) replaceFile(src, dst string, st unix.Stat_t) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), tempPrefix+"*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = io.Copy(tmp, in)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = a.setMeta(tmp.Name(), st, true)
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}

func (a *applier) replaceSymlink(src, dst string, st unix.Stat_t) error {
	target, err := os.Readlink(src)
	if err != nil {
		return err
	}
	tmp := filepath.Join(filepath.Dir(dst), fmt.Sprintf("%s%d-%s", tempPrefix, os.Getpid(), filepath.Base(dst)))
	os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return err
	}
	if err := unix.Lchown(tmp, int(st.Uid), int(st.Gid)); err != nil && !sameOwner(st) {
		os.Remove(tmp)
		return &os.PathError{Op: "lchown", Path: tmp, Err: err}
	}
	if err := os.Rename(tmp, dst); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// setMeta gives p the upper entry's owner and mode (chown first: it
// clears set-id bits), and its times when withTimes.
func (a *applier) setMeta(p string, st unix.Stat_t, withTimes bool) error {
	var cur unix.Stat_t
	if err := unix.Lstat(p, &cur); err != nil {
		return &os.PathError{Op: "lstat", Path: p, Err: err}
	}
	if cur.Uid != st.Uid || cur.Gid != st.Gid {
		if err := unix.Lchown(p, int(st.Uid), int(st.Gid)); err != nil {
			return &os.PathError{Op: "chown", Path: p, Err: err}
		}
	}
	if st.Mode&unix.S_IFMT == unix.S_IFLNK {
		return nil // a link has no mode of its own; chmod would follow it
	}
	if err := unix.Chmod(p, st.Mode&0o7777); err != nil {
		return &os.PathError{Op: "chmod", Path: p, Err: err}
	}
	if withTimes {
		ts := []unix.Timespec{st.Atim, st.Mtim}
		if err := unix.UtimesNanoAt(unix.AT_FDCWD, p, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return &os.PathError{Op: "set times", Path: p, Err: err}
		}
	}
	return nil
}

func sameOwner(st unix.Stat_t) bool {
	return st.Uid == uint32(os.Getuid()) && st.Gid == uint32(os.Getgid())
}

// removeAll removes a tree, making read-only directories in it writable
// first.
func removeAll(p string) error {
	filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(q, 0o700)
		}
		return nil
	})
	return os.RemoveAll(p)
}

// leaveUpper takes the applied changes out of the upper layer. An entry
// below an opaque directory stays (it now equals the real one) unless the
// directory's every change was applied, when the opaque mark goes first.
// Empty directories that add nothing over the real ones go last.
func (o ApplyOptions) leaveUpper(all, plan []Change) error {
	applied := map[string]bool{}
	for _, c := range plan {
		applied[c.Path] = true
	}
	cleared := map[string]bool{}
	for _, c := range plan {
		if c.Type == TypeDir && c.upper.opaque && c.Path == c.upper.rel && everyApplied(all, c.Path, applied) {
			if err := clearOpaque(filepath.Join(o.Layer.Upper(), c.Path)); err != nil {
				return err
			}
			cleared[c.Path] = true
		}
	}
	sorted := append([]Change(nil), plan...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Path > sorted[j].Path })
	for _, c := range sorted {
		if c.Path != c.upper.rel || c.Type == TypeDir && c.Kind != Deleted || c.inOpaque && !clearedAncestor(c.Path, cleared) {
			continue
		}
		if err := os.Remove(filepath.Join(o.Layer.Upper(), c.upper.phys)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return pruneUpper(o.Project, o.Layer.Upper())
}

func everyApplied(all []Change, dir string, applied map[string]bool) bool {
	for _, c := range all {
		if under(c.Path, dir) && !applied[c.Path] {
			return false
		}
	}
	return true
}

func clearedAncestor(p string, cleared map[string]bool) bool {
	for d := path.Dir(p); d != "." && d != "/"; d = path.Dir(d) {
		if cleared[d] {
			return true
		}
	}
	return false
}

// pruneUnchanged removes the upper layer's files, symlinks and whiteouts
// below paths (all when empty) that change nothing: a copy equal to the
// real entry, a whiteout of an entry already gone. An apply killed
// partway leaves those (the entries it applied), and a copy-up that
// changed nothing is one too; kept, they would hide the host's later
// edits from the sandbox. Entries in opaque directories stay: they are
// the directory's content.
func pruneUnchanged(project, upper string, paths []string) error {
	nodes, err := scanUpper(upper)
	if err != nil {
		return err
	}
	ids, err := readIDMaps()
	if err != nil {
		return err
	}
	opaque := map[string]bool{}
	for _, n := range nodes {
		if n.opaque {
			opaque[n.rel] = true
		}
		if n.kind == nodeDir || n.kind == nodeOther || hasAncestor(n.rel, opaque) || len(Select([]Change{{Path: n.rel}}, paths)) == 0 {
			continue
		}
		cs, err := compare(project, upper, n, ids)
		if err != nil {
			return err
		}
		if len(cs) > 0 {
			continue
		}
		if err := os.Remove(filepath.Join(upper, n.phys)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// pruneUpper removes the upper layer's empty directories that are not
// opaque and match a real directory's owner and mode: they change
// nothing.
func pruneUpper(project, upper string) error {
	nodes, err := scanUpper(upper)
	if err != nil {
		return err
	}
	for i := len(nodes) - 1; i >= 0; i-- {
		n := nodes[i]
		if n.kind != nodeDir || n.opaque || !emptyDir(filepath.Join(upper, n.rel)) {
			continue
		}
		var st unix.Stat_t
		if unix.Lstat(filepath.Join(project, n.rel), &st) != nil || st.Mode != n.info.Mode || st.Uid != n.info.Uid || st.Gid != n.info.Gid {
			continue
		}
		if err := os.Remove(filepath.Join(upper, n.rel)); err != nil {
			return err
		}
	}
	return nil
}

// Ops are the operations this package runs as the sandbox's root in a
// user namespace (internal/asroot), for layers holding files of the
// sandbox's other ids.
func Ops() map[string]func(json.RawMessage) (any, error) {
	return map[string]func(json.RawMessage) (any, error){
		"review-diff":    diffInNS,
		"review-apply":   applyInNS,
		"review-discard": discardInNS,
	}
}

// applyInNS runs Apply; its conflicts travel in the result, not as an
// error.
func applyInNS(arg json.RawMessage) (any, error) {
	var o ApplyOptions
	if err := json.Unmarshal(arg, &o); err != nil {
		return nil, fmt.Errorf("decode arguments: %w", err)
	}
	res, err := Apply(o)
	if errors.Is(err, ErrConflicts) {
		err = nil
	}
	return res, err
}
