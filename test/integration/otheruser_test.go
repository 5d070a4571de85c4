//go:build integration

package integration

import (
	"context"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/state"
	"github.com/devbox-dev/devbox/internal/testutil"
)

func TestOtherUserCannotJoinOrStop(t *testing.T) {
	if os.Getuid() != 0 {
		testutil.Skip(t, "needs root to act as two different users")
	}
	ownerName := os.Getenv("DEVBOX_TEST_USER")
	if ownerName == "" {
		ownerName = "devbox-test"
	}
	owner, err := user.Lookup(ownerName)
	if err != nil {
		testutil.Skip(t, "sandbox owner %s: %v (test.sh creates it)", ownerName, err)
	}
	ouid, _ := strconv.Atoi(owner.Uid)
	ogid, _ := strconv.Atoi(owner.Gid)
	const nobody = 65534

	// Everything the two users run must be reachable by them.
	pub, err := os.MkdirTemp("", "dbx-pub")
	if err != nil {
		t.Fatal(err)
	}
	// Registered first, so it runs after the owner's stop below.
	t.Cleanup(func() { os.RemoveAll(pub) })
	os.Chmod(pub, 0o755)
	bin := filepath.Join(pub, "devbox")
	copyFile(t, devboxBin, bin)
	for _, b := range []string{"devbox-front", "devbox-engine", "devbox-supervisor", "devbox-init"} {
		copyFile(t, filepath.Join(filepath.Dir(devboxBin), b), filepath.Join(pub, b))
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	helper := filepath.Join(pub, "integration.test")
	copyFile(t, self, helper)
	rt := filepath.Join(pub, "run")
	proj := filepath.Join(pub, "proj")
	data := filepath.Join(pub, "data")
	for _, d := range []string{rt, proj, data} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(d, ouid, ogid); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(proj, 0o755)

	as := func(uid, gid int, name string, args ...string) result {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Dir = proj
		cmd.Env = []string{"HOME=" + owner.HomeDir, "USER=" + name, "PATH=/usr/bin:/bin", "XDG_RUNTIME_DIR=" + rt, "XDG_DATA_HOME=" + data}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}}
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		r := result{stdout: out.String(), stderr: errb.String()}
		if err != nil {
			r.code = -1
			if cmd.ProcessState != nil {
				r.code = cmd.ProcessState.ExitCode()
			}
		}
		return r
	}
	asOwner := func(args ...string) result { return as(ouid, ogid, ownerName, args...) }
	t.Cleanup(func() { asOwner("stop", "--all", "--time", "1s") })

	if r := asOwner("run", "--", "true"); r.code != 0 {
		t.Fatalf("devbox run as %s: %s", ownerName, r)
	}
	list := asOwner("ps")
	if list.code != 0 {
		t.Fatalf("devbox ps as %s: %s", ownerName, list)
	}
	ents, err := os.ReadDir(filepath.Join(rt, "devbox"))
	var names []string
	for _, d := range ents {
		if d.IsDir() {
			names = append(names, d.Name())
		}
	}
	if err != nil || len(names) != 1 {
		t.Fatalf("want one sandbox dir in %s: %v %v", rt, ents, err)
	}
	name := names[0]
	dir := filepath.Join(rt, "devbox", name)
	sock := filepath.Join(dir, state.SocketFile)
	before, err := state.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{filepath.Join(rt, "devbox"), dir} {
		fi, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s is %v, want no access for group and others", d, fi.Mode().Perm())
		}
	}

	// An unprivileged other user cannot even reach the socket.
	cmd := exec.Command(helper)
	cmd.Env = []string{helperEnv + "=" + sock}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody, Groups: []uint32{}}}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "connect: ") || !strings.Contains(string(out), "permission denied") {
		t.Errorf("user nobody dialing %s: %v %q, want connect: permission denied", sock, err, out)
	}

	// Root passes the directory permissions, so the init's SO_PEERCRED check
	// is what refuses it: root is not the owner, and is unmapped inside.
	if got := tryJoin(sock); !strings.HasPrefix(got, "refused: ") {
		t.Errorf("root joining %s's sandbox: %q, want refused", ownerName, got)
	}
	c, err := proto.Dial(sock)
	if err != nil {
		t.Fatal(err)
	}
	c.Send(proto.Stop{Grace: 0})
	if m, _, err := c.Recv(); err == nil {
		if _, ok := m.(proto.Stopping); ok {
			t.Errorf("init accepted Stop from root, who does not own the sandbox")
		}
	}
	c.Close()

	// The other user's devbox refuses the owner's runtime dir outright.
	if r := as(nobody, nobody, "nobody", "stop", "--all", "--time", "1s"); r.code == 0 {
		t.Errorf("devbox stop --all as nobody with the owner's XDG_RUNTIME_DIR succeeded: %s", r)
	}
	if r := as(nobody, nobody, "nobody", "run", "--", "true"); r.code == 0 {
		t.Errorf("devbox run as nobody with the owner's XDG_RUNTIME_DIR succeeded: %s", r)
	}

	// The same sandbox still serves its owner: a session runs, and then the
	// state names the same live supervisor and init as before the attempts
	// (a stopped sandbox would have been started afresh by the run).
	if r := asOwner("run", "--", "echo", "still-here"); r.code != 0 || strings.TrimSpace(r.stdout) != "still-here" {
		t.Errorf("the owner's sandbox did not survive the other users' attempts: %s", r)
	}
	after, err := state.Read(dir)
	if err != nil || !after.Alive() || after.Init != before.Init || after.Supervisor != before.Supervisor || after.SupervisorStart != before.SupervisorStart {
		t.Errorf("the owner's sandbox changed under the other users' attempts: before %+v, after %+v (%v)", before, after, err)
	}
}
