//go:build integration

package integration

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/devbox-dev/devbox/internal/testutil"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// exportScript prints what the setup steps, the config's env and the
// image's env left; devbox run and podman run must print the same.
const exportScript = `cat /opt/tool/out; stat -c %u:%g /opt/tool/out; test -e /etc/version && echo version-present || echo version-gone; echo GREETING=$GREETING FOO=$FOO uid=$(id -u)`

// exportEnv is an env whose devbox.toml roots the sandbox on the test
// image with setup steps, env, ports and limits, and a project with
// ignored files.
func exportEnv(t *testing.T, ports string) (*env, *testRegistry) {
	t.Helper()
	e, reg, ref := imageEnv(t)
	e.writeConfig(fmt.Sprintf(`image = %q
ports = [`+ports+`]
setup = ["mkdir -p /opt/tool && echo built > /opt/tool/out && chown 1000:1000 /opt/tool/out", "rm -f /etc/version"]
[env]
GREETING = "hello"
[limits]
memory = "256m"
pids = 100
`, ref))
	files := map[string]string{
		"hello.txt": "hi\n", ".gitignore": "*.log\nbuild/\n", ".devboxignore": "secret.txt\n",
		"x.log": "ignored\n", "build/y": "ignored\n", "secret.txt": "ignored\n", ".git/HEAD": "ref: refs/heads/main\n",
		"sub/keep.txt": "kept\n", "sub/.gitignore": "drop.txt\n", "sub/drop.txt": "ignored\n",
	}
	for name, body := range files {
		p := filepath.Join(e.project, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return e, reg
}

// exported runs devbox export -o FILE and returns the tag and digest it
// printed ("FILE TAG DIGEST").
func (e *env) exported(args ...string) (tag, digest string) {
	e.t.Helper()
	out := strings.Fields(e.must(append([]string{"export", "-q"}, args...)...))
	if len(out) != 3 || !strings.HasPrefix(out[2], "sha256:") {
		e.t.Fatalf("devbox export %v: want FILE TAG DIGEST, got %q", args, out)
	}
	return out[1], out[2]
}

func TestExport_ReproducibleImportPushAndPodman(t *testing.T) {
	e, reg := exportEnv(t, `"127.0.0.1:18080:80", "5353/udp"`)
	// Not --rm: a throwaway sandbox ends after the first setup step's session.
	want := e.must("run", "--user", "root", "--", "/bin/sh", "-c", exportScript)
	if !strings.Contains(want, "built\n1000:1000\nversion-gone\nGREETING=hello FOO=from-image uid=0") {
		t.Fatalf("devbox run: unexpected output %q", want)
	}
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.tar"), filepath.Join(dir, "b.tar")
	tag, da := e.exported("-o", a)
	_, db := e.exported("-o", b)
	if da != db || sha256File(t, a) != sha256File(t, b) {
		t.Fatalf("two exports differ: %s %s, archives %s %s", da, db, sha256File(t, a), sha256File(t, b))
	}
	checkSetupLayer(t, a)
	if out := e.run("ps", "--json"); strings.Contains(out.stdout, "-export-") {
		t.Errorf("the export sandbox is still running:\n%s", out.stdout)
	}

	// Back into devbox's own store, from another project.
	other := e.inDir(t, t.TempDir())
	name := strings.Fields(other.must("image", "import", "-q", a))[0]
	if got := other.must("run", "--user", "root", "--rm", "--image", name, "--", "/bin/sh", "-c", exportScript); got != want {
		t.Errorf("imported image: got %q, want %q", got, want)
	}

	// Push, then pull by digest: the same image.
	pushed := e.run("export", "--push", reg.host+"/team/exp:1")
	if pushed.code != 0 || !strings.Contains(pushed.stdout, "@"+da) || !strings.Contains(pushed.stderr, "layer ") {
		t.Fatalf("export --push: want %s and per-layer progress: %s", da, pushed)
	}
	pulled := other.must("image", "pull", reg.host+"/team/exp@"+da)
	if !strings.Contains(pulled, da) {
		t.Errorf("pull by digest: %q lacks %s", pulled, da)
	}

	p := newPodman(t)
	p.must("load", "-i", a)
	if got := p.must("run", "--rm", "--network", "none", tag, "/bin/sh", "-c", exportScript); got != want {
		t.Errorf("podman run: got %q, want devbox's %q", got, want)
	}
}

// checkSetupLayer reads the archive's last layer: the setup steps'
// changes and nothing devbox itself put in the sandbox.
func checkSetupLayer(t *testing.T, archive string) {
	t.Helper()
	blobs := ociBlobs(t, archive)
	var idx struct{ Manifests []struct{ Digest string } }
	json.Unmarshal(blobs["index.json"], &idx)
	var m struct {
		Layers []struct{ Digest, MediaType string }
	}
	json.Unmarshal(blobs[blobName(idx.Manifests[0].Digest)], &m)
	if len(m.Layers) != 3 {
		t.Fatalf("want 2 base layers and the setup layer, got %d", len(m.Layers))
	}
	var names []string
	tr := tar.NewReader(strings.NewReader(string(blobs[blobName(m.Layers[2].Digest)])))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if !h.ModTime.Equal(time.Unix(0, 0)) {
			t.Errorf("setup layer %s: mtime %v, want the epoch", h.Name, h.ModTime)
		}
	}
	want := []string{"etc/", "etc/.wh.version", "opt/", "opt/tool/", "opt/tool/out"}
	if !slices.Equal(names, want) {
		t.Errorf("setup layer entries: got %q, want %q", names, want)
	}
}

func blobName(d string) string { return "blobs/" + strings.Replace(d, ":", "/", 1) }

func ociBlobs(t *testing.T, archive string) map[string][]byte {
	t.Helper()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]byte{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out[h.Name], _ = io.ReadAll(tr)
	}
}

// inDir is e working in another project directory (same store and runtime).
func (e *env) inDir(t *testing.T, dir string) *env {
	o := *e
	o.t = t
	o.project, _ = filepath.EvalSymlinks(dir)
	return &o
}

func TestExport_IncludeProjectAndKubePlay(t *testing.T) {
	// No ports: podman 4.3's kube play publishes every containerPort on the
	// host (Kubernetes does not), which would collide with other tests.
	e, _ := exportEnv(t, "")
	out := filepath.Join(t.TempDir(), "p.tar")
	tag, digest := e.exported("--include-project", "-o", out)
	repo, _, _ := strings.Cut(tag, ":latest")
	p := newPodman(t)
	p.must("load", "-i", out)
	ls := p.must("run", "--rm", "--network", "none", repo+"@"+digest,
		"/bin/sh", "-c", "pwd; ls -A; ls -A sub; stat -c %u:%g hello.txt; cat hello.txt")
	wantLs := e.project + "\n.devboxignore\n.gitignore\ndevbox.lock\ndevbox.toml\nhello.txt\nsub\n.gitignore\nkeep.txt\n0:0\nhi\n"
	if ls != wantLs {
		t.Errorf("project in the image: got %q, want %q", ls, wantLs)
	}

	job := e.must("kube", "--job", "--", "/bin/sh", "-c", "cat /opt/tool/out hello.txt; exit 3")
	var j batchv1.Job
	if err := yaml.UnmarshalStrict([]byte(job), &j); err != nil {
		t.Fatalf("kube --job: strict decode: %v\n%s", err, job)
	}
	c := j.Spec.Template.Spec.Containers[0]
	if c.Image != repo+"@"+digest || c.WorkingDir != e.project || c.Resources.Limits.Memory().Value() != 256<<20 {
		t.Errorf("kube --job: image %q workingDir %q memory %v", c.Image, c.WorkingDir, c.Resources.Limits.Memory())
	}
	if h := j.Spec.Template.Spec.HostUsers; h == nil || *h {
		t.Errorf("kube --job: want hostUsers false")
	}
	if !strings.Contains(job, "pids = 100") || !strings.Contains(job, "is in the image") {
		t.Errorf("kube --job: want the pids limit and the project's source in comments:\n%s", job)
	}
	yml := filepath.Join(t.TempDir(), "job.yaml")
	os.WriteFile(yml, []byte(job), 0o644)
	// Debian 12's podman 4.3 plays Pods, Deployments, PVCs and ConfigMaps,
	// not Jobs (docs/kubernetes.md): it refuses the Job, and plays the Pod
	// devbox kube writes with the same spec.
	play := p.run("kube", "play", yml)
	if play.code == 0 {
		t.Errorf("podman now plays Jobs: check the Job's output here and update docs/kubernetes.md")
	} else if !strings.Contains(play.stderr, "does not contain any supported kube kind") {
		t.Errorf("podman kube play of a Job: %s", play)
	}
	pod := e.must("kube", "--", "/bin/sh", "-c", "cat /opt/tool/out hello.txt; exit 3")
	var pd corev1.Pod
	if err := yaml.UnmarshalStrict([]byte(pod), &pd); err != nil {
		t.Fatalf("kube: strict decode: %v\n%s", err, pod)
	}
	// Rootless podman cannot set limits without a delegated cgroup (runc:
	// "cannot set memory limit"), which this test user lacks: play the pod
	// without them.
	pd.Spec.Containers[0].Resources = corev1.ResourceRequirements{}
	b, err := yaml.Marshal(&pd)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(yml, b, 0o644)
	p.must("kube", "play", yml)
	ctr := pd.Name + "-" + pd.Spec.Containers[0].Name
	code := strings.TrimSpace(p.must("wait", ctr))
	logs := p.must("logs", ctr)
	if code != "3" || logs != "built\nhi\n" {
		t.Errorf("kube play: exit %s, logs %q; want 3 and built, hi", code, logs)
	}
}

func TestExport_HostViewRefused(t *testing.T) {
	e := newEnv(t)
	e.mustFail([]string{"host's own /usr", `image = "debian:12"`}, "export")
	e.mustFail([]string{"no export of", "devbox export"}, "kube")
}

// podman runs Debian's podman as the test user on a private store, with
// runc and cgroupfs (this host has hybrid cgroups), and ends its pause
// process afterwards.
type podman struct {
	t    *testing.T
	args []string
	env  []string
	run_ string
}

func newPodman(t *testing.T) *podman {
	t.Helper()
	for _, bin := range []string{"podman", "runc"} {
		if _, err := exec.LookPath(bin); err != nil {
			testutil.Skip(t, "%s not installed: apt-get install podman runc", bin)
		}
	}
	rt, err := os.MkdirTemp("", "pm")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(rt, 0o700)
	dir := t.TempDir()
	p := &podman{t: t, run_: rt,
		args: []string{"--root", filepath.Join(dir, "root"), "--runroot", filepath.Join(rt, "run"), "--tmpdir", filepath.Join(rt, "tmp"),
			"--runtime", "runc", "--cgroup-manager", "cgroupfs", "--events-backend", "file", "--storage-driver", "vfs"},
		env: []string{"HOME=" + dir, "XDG_RUNTIME_DIR=" + rt, "XDG_CONFIG_HOME=" + filepath.Join(dir, "config"), "XDG_DATA_HOME=" + filepath.Join(dir, "data"),
			"PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "LANG=C.UTF-8"},
	}
	t.Cleanup(func() { p.cleanup(dir) })
	return p
}

func (p *podman) run(args ...string) result {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "podman", append(append([]string{}, p.args...), args...)...)
	cmd.Env = p.env
	return collect(p.t, ctx, cmd, "podman "+strings.Join(args, " "))
}

func (p *podman) must(args ...string) string {
	p.t.Helper()
	r := p.run(args...)
	if r.code != 0 {
		p.t.Fatalf("podman %s: %s", strings.Join(args, " "), r)
	}
	return r.stdout
}

// cleanup removes the pods and containers, the store (its files belong
// to subordinate ids: podman unshare removes them) and the pause process.
func (p *podman) cleanup(dir string) {
	p.run("pod", "rm", "-af")
	p.run("rm", "-af")
	p.run("unshare", "rm", "-rf", filepath.Join(dir, "root"))
	for _, f := range []string{filepath.Join(p.run_, "libpod", "tmp", "pause.pid"), filepath.Join(p.run_, "tmp", "pause.pid")} {
		if b, err := os.ReadFile(f); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 1 {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
	os.RemoveAll(p.run_)
}
