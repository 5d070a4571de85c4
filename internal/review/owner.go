package review

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Owners are shown as the host's ids, the ones the real project's files
// carry: a file the sandbox's root gave to uid 1000 shows as the host's
// subordinate id that uid maps to (100999 for a range starting at 100000),
// and the user's own files as the user's uid and gid. Run as the
// sandbox's root (internal/asroot), the process sees the namespace's ids,
// which idMaps translates back.

// idRange is one line of /proc/PID/uid_map: count ids from inside on are
// outside on in the parent namespace.
type idRange struct{ inside, outside, count uint64 }

// idMaps translate this process's uids and gids to the host's.
type idMaps struct{ uid, gid []idRange }

// parseIDMap reads the text of a uid_map or gid_map.
func parseIDMap(text string) ([]idRange, error) {
	var out []idRange
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 3 {
			return nil, fmt.Errorf("parse id map line %q: want 3 fields", line)
		}
		var r [3]uint64
		for i, s := range f {
			n, err := strconv.ParseUint(s, 10, 32)
			if err != nil {
				return nil, fmt.Errorf("parse id map line %q: %w", line, err)
			}
			r[i] = n
		}
		out = append(out, idRange{inside: r[0], outside: r[1], count: r[2]})
	}
	return out, nil
}

// toHost maps id through m; an id no range holds stays as it is (the
// kernel shows such ids as the overflow id, 65534).
func toHost(m []idRange, id uint32) uint32 {
	for _, r := range m {
		if uint64(id) >= r.inside && uint64(id)-r.inside < r.count {
			return uint32(r.outside + uint64(id) - r.inside)
		}
	}
	return id
}

// readIDMaps reads this process's maps. In the host's namespace they are
// the identity.
func readIDMaps() (idMaps, error) {
	var m idMaps
	for _, side := range []struct {
		file string
		dst  *[]idRange
	}{{"/proc/self/uid_map", &m.uid}, {"/proc/self/gid_map", &m.gid}} {
		b, err := os.ReadFile(side.file)
		if err != nil {
			return m, fmt.Errorf("read %s: %w", side.file, err)
		}
		if *side.dst, err = parseIDMap(string(b)); err != nil {
			return m, fmt.Errorf("read %s: %w", side.file, err)
		}
	}
	return m, nil
}

// owner is "uid:gid" in the host's ids.
func (m idMaps) owner(uid, gid uint32) string {
	return fmt.Sprintf("%d:%d", toHost(m.uid, uid), toHost(m.gid, gid))
}

// own is the caller's own owner, in the host's ids.
func (m idMaps) own() string {
	return m.owner(uint32(os.Getuid()), uint32(os.Getgid()))
}
