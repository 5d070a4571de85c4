// Package subid parses /etc/subuid and /etc/subgid.
//
// It runs on the host (client and supervisor) and in the user namespace
// helpers, before any fork: userns uses it to plan the id mapping, storage
// to suggest a larger range, and preflight to report and to suggest a free
// range (UsermodFix). It has no side effects; callers read the files.
package subid

import (
	"bytes"
	"strconv"
	"strings"
)

// Range is one subordinate id range: Count ids starting at Start.
type Range struct {
	Start, Count uint32
}

// End returns the first id after the range.
func (r Range) End() uint64 { return uint64(r.Start) + uint64(r.Count) }

// Entry is one well-formed line of a subid file.
type Entry struct {
	Owner string // user name or numeric id, as written
	Range
}

// Parse returns the well-formed entries of a subid file in file order.
// Like shadow, it skips what it cannot parse: comments, blank lines, lines
// without exactly three fields, non-numeric or zero counts, and ranges that
// run past the 32-bit id space.
func Parse(data []byte) []Entry {
	var out []Entry
	for _, line := range bytes.Split(data, []byte("\n")) {
		if e, ok := parseLine(line); ok {
			out = append(out, e)
		}
	}
	return out
}

func parseLine(line []byte) (Entry, bool) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] == '#' {
		return Entry{}, false
	}
	f := bytes.Split(line, []byte(":"))
	if len(f) != 3 || len(f[0]) == 0 {
		return Entry{}, false
	}
	start, err1 := strconv.ParseUint(string(f[1]), 10, 32)
	count, err2 := strconv.ParseUint(string(f[2]), 10, 32)
	if err1 != nil || err2 != nil || count == 0 || start+count > 1<<32 {
		return Entry{}, false
	}
	return Entry{Owner: string(f[0]), Range: Range{uint32(start), uint32(count)}}, true
}

// For returns the ranges owned by the user given by name or by numeric id,
// in file order. An empty name matches by id only.
func For(data []byte, name string, id uint32) []Range {
	idStr := strconv.FormatUint(uint64(id), 10)
	var out []Range
	for _, e := range Parse(data) {
		if (name != "" && e.Owner == name) || e.Owner == idStr {
			out = append(out, e.Range)
		}
	}
	return out
}

// BlockSize is the size of the range devbox suggests: 65536 ids, enough for
// every id a distribution image uses (nobody is 65534).
const BlockSize = 65536

// FirstFree is the lowest start devbox suggests, as useradd's SUB_UID_MIN.
const FirstFree = 100000

// NextFree returns the start of a BlockSize range at or above FirstFree that
// overlaps no range in any of the given files: the end of the highest range
// in use. It returns false when no such range fits below 2^32.
func NextFree(files ...[]byte) (uint32, bool) {
	next := uint64(FirstFree)
	for _, data := range files {
		for _, e := range Parse(data) {
			next = max(next, e.End())
		}
	}
	if next+BlockSize > 1<<32 {
		return 0, false
	}
	return uint32(next), true
}

// UsermodArgs returns the usermod flags that add a BlockSize range at start,
// for the uid side, the gid side or both.
func UsermodArgs(start uint32, uids, gids bool) []string {
	spec := strconv.FormatUint(uint64(start), 10) + "-" +
		strconv.FormatUint(uint64(start)+BlockSize-1, 10)
	var args []string
	if uids {
		args = append(args, "--add-subuids", spec)
	}
	if gids {
		args = append(args, "--add-subgids", spec)
	}
	return args
}

// UsermodFix returns the usermod command that gives name a free range of
// 65536 subordinate uids and/or gids, given the current files' contents.
func UsermodFix(name string, subuid, subgid []byte, uids, gids bool) string {
	start, ok := NextFree(subuid, subgid)
	if !ok {
		return "add a range of 65536 ids for " + name + " to /etc/subuid and /etc/subgid"
	}
	return "sudo usermod " + strings.Join(UsermodArgs(start, uids, gids), " ") + " " + name
}
