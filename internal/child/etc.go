package child

// The sandbox's /etc/hostname, /etc/hosts and /etc/resolv.conf. The
// supervisor sends their contents (proto.EtcFiles); the child writes them
// on a small tmpfs of its own, binds each over the root's file, and
// detaches the tmpfs: the binds keep the files, which nothing else in the
// sandbox reaches, and no file of them is made on the host's disk. (Files
// unlinked from /run instead would save the unmount's RCU grace period,
// about 0.15 ms, but nothing can be mounted over a bind of a deleted
// file: deny_read of /etc/hostname, or devbox inside the sandbox, binding
// its own.) The
// child keeps the files open until init serves, to rewrite hosts and
// resolv.conf for the network helper's lease (NetAttached), through the
// tmpfs's own writable mount rather than the read-only binds.

import (
	"fmt"
	"os"

	"github.com/devbox-dev/devbox/internal/proto"
	"golang.org/x/sys/unix"
)

// etcSources is where the tmpfs is mounted while the binds are made: a
// dir on the sandbox's own /run tmpfs, removed once the tmpfs is detached.
const etcSources = "/run/.devbox-etc"

// etcNames are the files, in the order they are written and bound.
var etcNames = []string{"hostname", "hosts", "resolv.conf"}

// etcFiles holds the written files open, by name.
type etcFiles map[string]*os.File

// etcWant is the files' contents from NetReady, which the root's build
// writes; etc is the written files, set by mountEtc.
var (
	etcWant proto.EtcFiles
	etc     etcFiles
)

// contents maps each file's name to its text in e.
func contents(e proto.EtcFiles) map[string]string {
	return map[string]string{"hostname": e.Hostname, "hosts": e.Hosts, "resolv.conf": e.ResolvConf}
}

// mountEtc writes etcWant's files on a new tmpfs at etcSources, calls
// bind with each file's path there and its name, and detaches the tmpfs.
func mountEtc(bind func(src, name string) error) error {
	if err := os.Mkdir(etcSources, 0o700); err != nil {
		return err
	}
	if err := mount("devbox-etc", etcSources, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "mode=0755,size=256k"); err != nil {
		return err
	}
	files, err := writeEtc(etcWant, bind)
	if uerr := unix.Unmount(etcSources, unix.MNT_DETACH); uerr != nil && err == nil {
		err = &os.PathError{Op: "unmount", Path: etcSources, Err: uerr}
	}
	if rerr := os.Remove(etcSources); rerr != nil && err == nil {
		err = rerr
	}
	if err != nil {
		files.close()
		return err
	}
	etc = files
	return nil
}

// writeEtc creates and binds each file, keeping it open.
func writeEtc(e proto.EtcFiles, bind func(src, name string) error) (etcFiles, error) {
	files := etcFiles{}
	text := contents(e)
	for _, name := range etcNames {
		src := etcSources + "/" + name
		f, err := os.OpenFile(src, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return files, err
		}
		files[name] = f
		if _, err := f.WriteString(text[name]); err != nil {
			return files, fmt.Errorf("write %s: %w", name, err)
		}
		if err := bind(src, name); err != nil {
			return files, err
		}
	}
	return files, nil
}

// rewrite replaces the files' contents with e's (NetAttached).
func (files etcFiles) rewrite(e proto.EtcFiles) error {
	text := contents(e)
	for _, name := range etcNames {
		f := files[name]
		if f == nil {
			continue
		}
		if err := f.Truncate(0); err != nil {
			return fmt.Errorf("rewrite /etc/%s: %w", name, err)
		}
		if _, err := f.WriteAt([]byte(text[name]), 0); err != nil {
			return fmt.Errorf("rewrite /etc/%s: %w", name, err)
		}
	}
	return nil
}

// close closes the files once nothing rewrites them.
func (files etcFiles) close() {
	for _, f := range files {
		f.Close()
	}
}
