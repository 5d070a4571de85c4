package timerslack

import (
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

func TestUsersSlack(t *testing.T) {
	own := func() uint64 { return 777 }
	for _, c := range []struct {
		env  string
		want uint64
	}{
		{"123456", 123456},
		{"2000000", 2000000},
		{"", 777},                     // no devbox process started this one
		{"0", 777},                    // the kernel reads 0 as "the default": not a value
		{"-5", 777},                   // not a number of nanoseconds
		{"12ms", 777},                 // nor is this
		{" 1000", 777},                // nor this
		{"18446744073709551616", 777}, // past uint64
	} {
		if got := usersSlack(c.env, own); got != c.want {
			t.Errorf("usersSlack(%q) = %d, want %d", c.env, got, c.want)
		}
	}
}

func FuzzUsersSlack(f *testing.F) {
	for _, s := range []string{"", "50000", "0", "x", "99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, env string) {
		got := usersSlack(env, func() uint64 { return 1 })
		if n, err := strconv.ParseUint(env, 10, 64); err == nil && n > 0 {
			if got != n {
				t.Fatalf("usersSlack(%q) = %d, want %d", env, got, n)
			}
		} else if got != 1 {
			t.Fatalf("usersSlack(%q) = %d, want the thread's own (1)", env, got)
		}
	})
}

// Relax and AsUsers set the slack for what start starts, which inherits
// it through fork and exec, and give the thread its own back.
func TestRelaxAndAsUsers(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	before := current()
	childSlack := func() string {
		out, err := exec.Command("cat", "/proc/self/timerslack_ns").Output()
		if err != nil {
			t.Fatalf("read a child's timer slack: %v", err)
		}
		return strings.TrimSpace(string(out))
	}
	var relaxed, users string
	Relax(func() {
		relaxed = childSlack()
		AsUsers(func() { users = childSlack() })
	})
	if relaxed != strconv.Itoa(Relaxed) {
		t.Errorf("a process started under Relax has slack %s, want %d", relaxed, Relaxed)
	}
	if users != strconv.FormatUint(Users(), 10) {
		t.Errorf("a process started under AsUsers has slack %s, want the user's %d", users, Users())
	}
	if after := current(); after != before {
		t.Errorf("the thread's slack is %d after Relax, want its own %d back", after, before)
	}
}

func TestEnvCarriesUsers(t *testing.T) {
	if got, want := Env(), EnvName+"="+strconv.FormatUint(Users(), 10); got != want {
		t.Errorf("Env() = %q, want %q", got, want)
	}
}
