//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/devbox-dev/devbox/internal/testutil"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// TestKubernetesRecipe_PodSpecPlays plays the Pod spec of
// docs/kubernetes.md with podman kube play, as far as it runs here without
// network: the image becomes test.sh's Debian rootfs, devbox's binaries
// are mounted in, and the command is devbox run --rm in place of the clone
// and install. devbox runs as the pod's root, with a warning per fallback
// (podman 4.3 honours hostUsers and allowPrivilegeEscalation: false, not
// procMount or the seccomp profile).
func TestKubernetesRecipe_PodSpecPlays(t *testing.T) {
	t.Parallel()
	rootfs := os.Getenv("DEVBOX_TEST_PODMAN_ROOTFS")
	if rootfs == "" {
		testutil.Skip(t, "needs the Debian rootfs test.sh makes with mmdebstrap (DEVBOX_TEST_PODMAN_ROOTFS)")
	}
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "kubernetes.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```yaml\n(apiVersion: v1\nkind: Pod\n.*?)```").FindSubmatch(b)
	if m == nil {
		t.Fatal("docs/kubernetes.md: no Pod spec")
	}
	p := newPodman(t)
	const img = "localhost/devbox-recipe:1"
	p.must("import", rootfs, img)
	play := func(name string, edit func(*corev1.Pod)) (string, string) {
		var pod corev1.Pod
		if err := yaml.UnmarshalStrict(m[1], &pod); err != nil {
			t.Fatalf("the Pod spec: %v", err)
		}
		pod.Name = name
		c := &pod.Spec.Containers[0]
		c.Image = img
		c.Env = []corev1.EnvVar{{Name: "PATH", Value: "/usr/bin:/bin"}, {Name: "USER", Value: "root"}, {Name: "HOME", Value: "/root"}}
		c.Command = []string{"/bin/sh", "-c", "mkdir -p /tmp/p && cd /tmp/p && grep NoNewPrivs /proc/self/status && /devbox/devbox run --rm -- sh -c 'echo devbox-ok; id -u'"}
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: "devbox", MountPath: "/devbox", ReadOnly: true})
		dir := corev1.HostPathDirectory
		pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{Name: "devbox",
			VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: filepath.Dir(devboxBin), Type: &dir}}})
		edit(&pod)
		out, err := yaml.Marshal(&pod)
		if err != nil {
			t.Fatal(err)
		}
		yml := filepath.Join(t.TempDir(), name+".yaml")
		if err := os.WriteFile(yml, out, 0o644); err != nil {
			t.Fatal(err)
		}
		p.must("kube", "play", yml)
		ctr := name + "-" + c.Name
		code := strings.TrimSpace(p.must("wait", ctr))
		// podman logs writes the container's stderr to its own.
		logs := p.run("logs", ctr)
		return code, logs.stdout + logs.stderr
	}
	code, logs := play("recipe", func(*corev1.Pod) {})
	if code != "0" || !strings.Contains(logs, "devbox-ok\n0\n") {
		t.Fatalf("devbox in the recipe's pod: exit %s, logs:\n%s", code, logs)
	}
	if !strings.Contains(logs, "NoNewPrivs:\t1") {
		t.Errorf("the pod does not run with no_new_privs, which the spec asks for:\n%s", logs)
	}
	for _, want := range []string{"no user-mode network here", "refuses this sandbox a /proc of its own"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack the fallback %q (if podman now honours the spec, update docs/kubernetes.md):\n%s", want, logs)
		}
	}
}
