package supervisor

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/devbox-dev/devbox/hint"
	"github.com/devbox-dev/devbox/internal/asroot"
	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/timerslack"
	"golang.org/x/sys/unix"
)

// The fuse-overlayfs daemon of an image root or a review overlay runs
// outside the sandbox: the child mounts the FUSE file system on a
// /dev/fuse descriptor in its own mount namespace and sends the descriptor
// here (proto.FuseMount, on the fuse socket); the supervisor starts
// fuse-overlayfs on it through asroot, in a user and mount namespace of its
// own with the sandbox's id mapping and in the host's pid namespace. The
// sandbox cannot see the daemon in its /proc, signal it or ptrace it, and
// so cannot reach the host's root that the daemon's mount namespace holds.
// The daemon ends when the sandbox's last mount of the file system goes
// (the kernel aborts the connection: its read fails with ENODEV).

// fuseArg is the fuse-overlayfs asroot op's argument: the dirs as host
// paths, lower ones top first.
type fuseArg struct {
	Lower []string `json:"lower"`
	Upper string   `json:"upper"`
	Work  string   `json:"work"`
}

// serveFuse answers the child's FuseMount requests on conn until the child
// closes it (once its root is built).
func (s *supervisor) serveFuse(conn *proto.Conn) {
	defer conn.Close()
	for {
		msg, files, err := conn.Recv()
		if err != nil {
			closeFiles(files)
			return
		}
		err = s.startFuse(msg, files)
		closeFiles(files)
		if err != nil {
			err = conn.Send(proto.Error{Msg: err.Error(), Hint: hint.Of(err), Code: 125})
		} else {
			err = conn.Send(proto.FuseServed{})
		}
		if err != nil {
			return
		}
	}
}

// startFuse starts the daemon for one FuseMount, with the dirs of the
// supervisor's own Spec.
func (s *supervisor) startFuse(msg proto.Message, files []*os.File) error {
	m, err := proto.As[proto.FuseMount](msg)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		return fmt.Errorf("start fuse-overlayfs: FuseMount carried %d descriptors, want the /dev/fuse one", len(files))
	}
	arg, err := fuseLayers(s.spec, m.Layer)
	if err != nil {
		return err
	}
	return asroot.RunFiles("fuse-overlayfs", arg, os.Stderr, files, nil)
}

// fuseLayers are the dirs of the overlay named by layer.
func fuseLayers(spec proto.Spec, layer string) (fuseArg, error) {
	switch {
	case layer == proto.FuseImage && spec.Image != nil && spec.Image.Driver == "fuse-overlayfs":
		return fuseArg{Lower: spec.Image.Lower, Upper: spec.Image.Upper, Work: spec.Image.Work}, nil
	case layer == proto.FuseReview && spec.Review != nil && spec.Review.Driver == "fuse-overlayfs":
		return fuseArg{Lower: []string{spec.ProjectDir}, Upper: spec.Review.Upper, Work: spec.Review.Work}, nil
	}
	return fuseArg{}, fmt.Errorf("start fuse-overlayfs: the sandbox has no fuse-overlayfs %q layer", layer)
}

// fuseOverlayInNS runs in the asroot namespace: it starts fuse-overlayfs on
// the /dev/fuse descriptor (libfuse's /dev/fd/N mount point: the mount
// exists already) and returns once the daemon has forked into the
// background, ready.
func fuseOverlayInNS(raw json.RawMessage) (any, error) {
	var a fuseArg
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, fmt.Errorf("decode arguments: %w", err)
	}
	if len(a.Lower) == 0 {
		return nil, errors.New("start fuse-overlayfs: no lower dir")
	}
	unix.CloseOnExec(asroot.FirstFile) // the daemon gets it as fd 3 only
	dev := os.NewFile(asroot.FirstFile, "fuse")
	defer dev.Close()
	opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", strings.Join(a.Lower, ":"), a.Upper, a.Work)
	cmd := exec.Command(fuseOverlayfsBin(), "-o", opts, "/dev/fd/3")
	cmd.ExtraFiles = []*os.File{dev}
	// Its own session: the daemon outlives this helper, whose caller's
	// terminal signals must not reach it.
	cmd.SysProcAttr = &unix.SysProcAttr{Setsid: true}
	// The daemon serves the sandbox's file system for its user: the
	// user's timer slack, not this helper's relaxed one (internal/timerslack).
	var err error
	timerslack.AsUsers(func() { err = runWithOutput(cmd) })
	if err != nil {
		return nil, fmt.Errorf("run fuse-overlayfs: %w", err)
	}
	return nil, nil
}

// runWithOutput runs cmd with its output in a memfd, not a pipe: the daemon
// keeps its parent's stdout and stderr until it detaches, so reading a pipe
// to EOF could wait for the sandbox's end. The output ends up in the error.
func runWithOutput(cmd *exec.Cmd) error {
	fd, err := unix.MemfdCreate("output", unix.MFD_CLOEXEC)
	if err != nil {
		return fmt.Errorf("create memfd: %w", err)
	}
	out := os.NewFile(uintptr(fd), "output")
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Run(); err != nil {
		msg := make([]byte, 4096)
		n, _ := out.ReadAt(msg, 0)
		return fmt.Errorf("%w: %s", err, strings.TrimSpace(string(msg[:n])))
	}
	return nil
}

// fuseOverlayfsBin finds fuse-overlayfs in PATH, then in the usual install
// dirs.
func fuseOverlayfsBin() string {
	if p, err := exec.LookPath("fuse-overlayfs"); err == nil {
		return p
	}
	for _, d := range []string{"/usr/local/bin", "/usr/bin", "/bin"} {
		p := filepath.Join(d, "fuse-overlayfs")
		if unix.Access(p, unix.X_OK) == nil {
			return p
		}
	}
	return "fuse-overlayfs"
}
