// Package userns is the parent side of the sandbox's id mapping: it reads
// the invoking user's subordinate ids, decides the uid and gid maps, and
// installs them on the child, through the setuid helpers newuidmap and
// newgidmap or by writing /proc/PID/uid_map itself.
//
// It runs on the host, in the parent, after the child has been cloned into
// its new user namespace and before the parent sends IDMapped.
package userns

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"slices"
	"strings"

	"github.com/devbox-dev/devbox/subid"
)

// Mapping is one line of /proc/PID/uid_map: inside id, host id, count.
type Mapping struct {
	Inside, Host, Count uint32
}

// Plan is the id mapping for one sandbox.
type Plan struct {
	UID, GID []Mapping
	// Helpers is true when newuidmap/newgidmap write the maps; false when
	// devbox writes them itself (single-id, or running as root).
	Helpers bool
	// NewUIDMap and NewGIDMap are the resolved helper paths when Helpers.
	NewUIDMap, NewGIDMap string
	// Warning is non-empty for the single-id fallback: what will not work
	// and the command that fixes it.
	Warning string
}

// Size returns the number of ids mapped (uid side).
func (p Plan) Size() uint32 {
	var n uint64
	for _, m := range p.UID {
		n += uint64(m.Count)
	}
	return uint32(min(n, math.MaxUint32))
}

// rootDefault is what root maps above 0 when it has no subordinate ids:
// the ids a distribution image uses, each to itself.
var rootDefault = []subid.Range{{Start: 1, Count: 65535}}

// NewPlan decides the mapping for the invoking user from /etc/subuid,
// /etc/subgid and the helpers in PATH. See NewPlanFrom.
func NewPlan(uid, gid uint32, username string) (Plan, error) {
	subuid, err := readSubIDFile("/etc/subuid")
	if err != nil {
		return Plan{}, err
	}
	subgid, err := readSubIDFile("/etc/subgid")
	if err != nil {
		return Plan{}, err
	}
	p := NewPlanFrom(uid, gid, username, subuid, subgid, exec.LookPath)
	if p.Helpers {
		outerU, _ := os.ReadFile("/proc/self/uid_map")
		outerG, _ := os.ReadFile("/proc/self/gid_map")
		p = HelpersReach(p, string(outerU), string(outerG))
	}
	if p.Helpers && noNewPrivs() {
		p = WithoutSetuid(p)
	}
	if uid == 0 && len(subid.For(subuid, username, uid)) == 0 && len(subid.For(subgid, username, uid)) == 0 {
		outerU, _ := os.ReadFile("/proc/self/uid_map")
		outerG, _ := os.ReadFile("/proc/self/gid_map")
		p = FitOuter(p, string(outerU), string(outerG))
	}
	return p, nil
}

// FitOuter narrows root's default mapping (ids 1-65535 to themselves) to
// the ids the outer user namespace has, given its uid_map and gid_map
// (root in a container or pod with fewer ids, and no /etc/subuid entry):
// a map naming an id the outer namespace lacks is refused. The Warning
// says so, in one line; with no ids but 0, only 0 is mapped.
func FitOuter(p Plan, outerUID, outerGID string) Plan {
	u, g := within(outerUID, rootDefault[0]), within(outerGID, rootDefault[0])
	if slices.Equal(u, rootDefault) && slices.Equal(g, rootDefault) {
		return p
	}
	p.UID, p.GID = stack(0, u), stack(0, g)
	p.Warning = fmt.Sprintf("no subordinate ids for root, and the outer user namespace has only %d uids and %d gids of 1-65535: mapping those above root (a file owned by another id shows as nobody)", total(u), total(g))
	return p
}

// HelpersReach keeps a plan that maps subordinate ids through newuidmap
// only if those ids exist in the user namespace devbox runs in, given its
// uid_map and gid_map. Inside a user namespace (a devbox sandbox's session
// as the invoking user, or a container) /etc/subuid still names host ids
// that the namespace does not have, and newuidmap's setuid bit means
// nothing there (its owner, the host's root, is not mapped): it would fail
// with EPERM. The plan then falls back to the single-id map with a warning
// that says why. Maps that could not be read ("") leave p as it is.
func HelpersReach(p Plan, outerUID, outerGID string) Plan {
	if outerUID == "" || outerGID == "" {
		return p
	}
	u, g := missingHost(p.UID, outerUID), missingHost(p.GID, outerGID)
	if len(u) == 0 && len(g) == 0 {
		return p
	}
	q := singleID(p.UID[0].Host, p.GID[0].Host)
	q.Warning = nestedWarning(append(u, g...))
	return q
}

// WithoutSetuid is p for a devbox running with no_new_privs (a pod's
// allowPrivilegeEscalation: false), which voids newuidmap's setuid bit: the
// single-id map, with a warning that says why and where the flag comes
// from.
func WithoutSetuid(p Plan) Plan {
	q := singleID(p.UID[0].Host, p.GID[0].Host)
	q.Warning = "devbox runs with no_new_privs, which voids newuidmap's setuid bit: only your own id is mapped (to root inside).\n" +
		"Programs that switch users will fail, such as package managers that drop privileges (apt's _apt) and multi-user services (postgres).\n" +
		"Fix: start devbox without no_new_privs: drop allowPrivilegeEscalation: false from the pod's securityContext, --security-opt no-new-privileges from the container's options, or setpriv --no-new-privs"
	return q
}

// missingHost returns the subordinate ranges of m (all but the first line,
// the user's own id) that the inside column of idMap does not cover whole.
func missingHost(m []Mapping, idMap string) []subid.Range {
	var out []subid.Range
	for _, x := range m[1:] {
		r := subid.Range{Start: x.Host, Count: x.Count}
		if total(within(idMap, r)) != uint64(r.Count) {
			out = append(out, r)
		}
	}
	return out
}

func nestedWarning(missing []subid.Range) string {
	r := missing[0]
	return fmt.Sprintf("devbox runs in a user namespace (a devbox sandbox or a container) that lacks your subordinate ids (%d-%d): newuidmap cannot map them here, its setuid bit means nothing in a user namespace: only your own id is mapped (to root inside).\n", r.Start, uint64(r.Start)+uint64(r.Count)-1) +
		"Programs that switch users will fail, such as package managers that drop privileges (apt's _apt) and multi-user services (postgres).\n" +
		"Fix: run devbox as root of the outer sandbox (devbox enter --user root there), which maps the ids the outer sandbox has, or on the host"
}

// within returns the parts of r that the inside column of a uid_map or
// gid_map covers, in order. Unreadable lines are skipped.
func within(idMap string, r subid.Range) []subid.Range {
	var out []subid.Range
	lo, hi := uint64(r.Start), uint64(r.Start)+uint64(r.Count)
	for _, line := range strings.Split(idMap, "\n") {
		var inside, host, count uint64
		if n, _ := fmt.Sscan(line, &inside, &host, &count); n != 3 {
			continue
		}
		a, b := max(lo, inside), min(hi, inside+count)
		if a < b {
			out = append(out, subid.Range{Start: uint32(a), Count: uint32(b - a)})
		}
	}
	slices.SortFunc(out, func(x, y subid.Range) int { return int(int64(x.Start) - int64(y.Start)) })
	return out
}

func total(rs []subid.Range) uint64 {
	var n uint64
	for _, r := range rs {
		n += uint64(r.Count)
	}
	return n
}

func readSubIDFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read subordinate ids: %w", err)
	}
	return b, nil
}

// NewPlanFrom is NewPlan with the file contents and helper lookup injected.
//
// The user becomes root inside; their subordinate ranges follow
// consecutively at 1..N. Without ranges or helpers, only their own id is
// mapped and Warning says so. Root writes the maps itself: 0 to 0, then its
// own subordinate ranges, or else ids 1-65535 to themselves.
func NewPlanFrom(uid, gid uint32, username string, subuid, subgid []byte, lookPath func(string) (string, error)) Plan {
	uids := subid.For(subuid, username, uid)
	gids := subid.For(subgid, username, uid)
	if uid == 0 {
		return Plan{UID: rootMapping(uids), GID: rootMapping(gids)}
	}
	newuidmap, errU := lookPath("newuidmap")
	newgidmap, errG := lookPath("newgidmap")
	if len(uids) == 0 || len(gids) == 0 || errU != nil || errG != nil {
		p := singleID(uid, gid)
		p.Warning = singleIDWarning(username, subuid, subgid, len(uids) == 0, len(gids) == 0, errU != nil || errG != nil)
		return p
	}
	return Plan{
		UID:       stack(uid, uids),
		GID:       stack(gid, gids),
		Helpers:   true,
		NewUIDMap: newuidmap,
		NewGIDMap: newgidmap,
	}
}

func rootMapping(ranges []subid.Range) []Mapping {
	if len(ranges) == 0 {
		ranges = rootDefault
	}
	return stack(0, ranges)
}

func singleID(uid, gid uint32) Plan {
	return Plan{UID: []Mapping{{0, uid, 1}}, GID: []Mapping{{0, gid, 1}}}
}

// stack maps own to 0 inside and the ranges consecutively from 1. Ranges
// that would run past the 32-bit inside id space are dropped.
func stack(own uint32, ranges []subid.Range) []Mapping {
	m := []Mapping{{Inside: 0, Host: own, Count: 1}}
	next := uint64(1)
	for _, r := range ranges {
		if next+uint64(r.Count) > math.MaxUint32 {
			break
		}
		m = append(m, Mapping{Inside: uint32(next), Host: r.Start, Count: r.Count})
		next += uint64(r.Count)
	}
	return m
}

// singleIDWarning says what the single-id fallback breaks and how to fix it.
func singleIDWarning(name string, subuid, subgid []byte, noUIDs, noGIDs, noHelpers bool) string {
	var why, fix []string
	if noHelpers {
		why = append(why, "newuidmap/newgidmap not found in PATH")
		fix = append(fix, "sudo apt-get install uidmap (Debian/Ubuntu) or sudo dnf install shadow-utils (Fedora)")
	}
	if noUIDs || noGIDs {
		why = append(why, fmt.Sprintf("no subordinate ids for %s in %s", name, missingFiles(noUIDs, noGIDs)))
		fix = append(fix, subid.UsermodFix(name, subuid, subgid, noUIDs, noGIDs))
	}
	return strings.Join(why, " and ") + ": only your own id is mapped (to root inside).\n" +
		"Programs that switch users will fail, such as package managers that drop privileges (apt's _apt) and multi-user services (postgres).\n" +
		"Fix: " + strings.Join(fix, "\n     ")
}

func missingFiles(uids, gids bool) string {
	switch {
	case uids && gids:
		return "/etc/subuid and /etc/subgid"
	case uids:
		return "/etc/subuid"
	}
	return "/etc/subgid"
}

// KeepIDMap is the map of a user namespace nested in the sandbox's, in which
// a session keeps the invoking user's own id (user = "self", like Podman's
// keep-id). The sandbox's namespace maps its id 0 to the user and 1..size-1
// to the subordinate range; the nested one maps id to 0 (so the user's files
// stay theirs on the host), 0..id-1 to 1..id, and the rest of the range
// through unchanged. Inside/Host are nested and sandbox ids. With a single
// id mapped (no subordinate range) only the user's own id exists.
func KeepIDMap(id, size uint32) []Mapping {
	m := []Mapping{{Inside: id, Host: 0, Count: 1}}
	if size <= 1 {
		return m
	}
	low := min(id, size-1)
	if low > 0 {
		m = append(m, Mapping{Inside: 0, Host: 1, Count: low})
	}
	if size > id+1 {
		m = append(m, Mapping{Inside: id + 1, Host: id + 1, Count: size - id - 1})
	}
	return m
}
