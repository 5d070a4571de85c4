package kube

import (
	"strings"
	"testing"

	"github.com/devbox-dev/devbox/cgroupv2"
	"github.com/devbox-dev/devbox/internal/config"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

func input() Input {
	c := config.Defaults()
	c.Env = map[string]string{"B": "2", "A": "1"}
	c.Ports = []string{"127.0.0.1:8080:80", "5353/udp"}
	swap := int64(0)
	c.Limits = config.Limits{Limits: cgroupv2.Limits{Memory: 256 << 20, CPUs: 1.5, Pids: 100, MemorySwap: &swap}}
	return Input{Name: "proj", Image: "reg/x@sha256:" + strings.Repeat("a", 64), Config: c, Project: "/home/u/proj", UID: 1000, GID: 1000}
}

// TestManifest_DecodesStrictly decodes every variant with the real API
// types, unknown fields being errors.
func TestManifest_DecodesStrictly(t *testing.T) {
	self := input()
	self.Config.User = config.UserSelf
	self.UID, self.GID, self.Strict, self.IncludeProject = 1000, 1000, true, true
	unconfined := input()
	unconfined.Config.Security = config.SecurityUnconfined
	root := input()
	root.Config.User = config.UserRoot
	strictProfile := input()
	strictProfile.Config.Security = config.SecurityStrict
	for _, tc := range []struct {
		name string
		in   Input
		job  bool
	}{
		{"pod", input(), false},
		{"job", input(), true},
		{"root", root, false},
		{"strict self", self, true},
		{"strict profile", strictProfile, false},
		{"unconfined", unconfined, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.in.Job = tc.job
			tc.in.Command = []string{"make", "test"}
			y, err := Manifest(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			var spec corev1.PodSpec
			if tc.job {
				var j batchv1.Job
				if err := yaml.UnmarshalStrict(y, &j); err != nil {
					t.Fatalf("strict decode: %v\n%s", err, y)
				}
				spec = j.Spec.Template.Spec
			} else {
				var p corev1.Pod
				if err := yaml.UnmarshalStrict(y, &p); err != nil {
					t.Fatalf("strict decode: %v\n%s", err, y)
				}
				spec = p.Spec
			}
			checkSpec(t, tc.in, spec, string(y))
		})
	}
}

func checkSpec(t *testing.T, in Input, spec corev1.PodSpec, y string) {
	t.Helper()
	c := spec.Containers[0]
	seccomp := corev1.SeccompProfileTypeRuntimeDefault
	if in.Config.Security == config.SecurityUnconfined {
		seccomp = corev1.SeccompProfileTypeUnconfined
	}
	if spec.HostUsers == nil || *spec.HostUsers || spec.SecurityContext.SeccompProfile.Type != seccomp {
		t.Errorf("want hostUsers false and seccomp %s:\n%s", seccomp, y)
	}
	if c.Image != in.Image || c.WorkingDir != in.Project || strings.Join(c.Command, " ") != "make test" {
		t.Errorf("image, workingDir or command wrong:\n%s", y)
	}
	if len(c.Env) != 2 || c.Env[0].Name != "A" || len(c.Ports) != 2 || c.Ports[0].ContainerPort != 80 || c.Ports[1].Protocol != corev1.ProtocolUDP {
		t.Errorf("env or ports wrong:\n%s", y)
	}
	if c.Resources.Limits.Memory().Value() != 256<<20 || c.Resources.Limits.Cpu().MilliValue() != 1500 {
		t.Errorf("limits wrong:\n%s", y)
	}
	if !strings.Contains(y, "# Not expressible: [limits] pids = 100") || !strings.Contains(y, "memory_swap = 0") {
		t.Errorf("want pids and swap listed in comments:\n%s", y)
	}
	checkUser(t, in, spec, y)
	checkProject(t, in, spec, y)
	caps := c.SecurityContext.Capabilities
	switch {
	case in.strict():
		ape := c.SecurityContext.AllowPrivilegeEscalation
		nonRoot := spec.SecurityContext.RunAsNonRoot
		if ape == nil || *ape || nonRoot == nil || !*nonRoot || len(caps.Add) != 0 || len(caps.Drop) != 1 || caps.Drop[0] != "ALL" {
			t.Errorf("strict: want allowPrivilegeEscalation false, runAsNonRoot, ALL dropped, none added:\n%s", y)
		}
		if in.Config.Security == config.SecurityStrict && !strings.Contains(y, "# Not expressible: security = \"strict\"'s network") {
			t.Errorf("strict profile: want its network listed in a comment:\n%s", y)
		}
	case in.Config.Security == config.SecurityUnconfined:
		if len(caps.Drop) != 0 || len(caps.Add) != 1 || caps.Add[0] != "ALL" {
			t.Errorf("unconfined profile: want ALL added, none dropped:\n%s", y)
		}
	case len(caps.Drop) != 1 || caps.Drop[0] != "ALL" || len(caps.Add) != 12 || caps.Add[11] != "NET_RAW":
		t.Errorf("default profile: want ALL dropped and the 12 capabilities a sandbox keeps:\n%s", y)
	}
}

// checkUser: user self (the default) runs as the user's ids, root as the
// image's user.
func checkUser(t *testing.T, in Input, spec corev1.PodSpec, y string) {
	t.Helper()
	sc := spec.SecurityContext
	if in.Config.UserMode() == config.UserRoot {
		if sc.RunAsUser != nil || sc.RunAsNonRoot != nil {
			t.Errorf("user root: want no runAsUser nor runAsNonRoot:\n%s", y)
		}
		return
	}
	if sc.RunAsUser == nil || *sc.RunAsUser != 1000 || sc.RunAsGroup == nil || *sc.RunAsGroup != 1000 {
		t.Errorf("user self: want runAsUser and runAsGroup 1000:\n%s", y)
	}
}

// checkProject: in the image (a comment says so) or a hostPath volume.
func checkProject(t *testing.T, in Input, spec corev1.PodSpec, y string) {
	t.Helper()
	if in.IncludeProject {
		if len(spec.Volumes) != 0 || !strings.Contains(y, "is in the image") {
			t.Errorf("included project: want no volume and the comment:\n%s", y)
		}
		return
	}
	c := spec.Containers[0]
	if len(spec.Volumes) != 1 || spec.Volumes[0].HostPath.Path != in.Project || c.VolumeMounts[0].MountPath != in.Project || !strings.Contains(y, `volume "project"`) {
		t.Errorf("project volume wrong:\n%s", y)
	}
}

func TestManifest_Errors(t *testing.T) {
	bad := input()
	bad.Name = "Not_A_Name"
	strictRoot := input()
	strictRoot.Strict, strictRoot.Config.User = true, config.UserRoot
	strictProfileRoot := input()
	strictProfileRoot.Config.Security, strictProfileRoot.Config.User = config.SecurityStrict, config.UserRoot
	strictUnconfined := input()
	strictUnconfined.Strict, strictUnconfined.Config.User, strictUnconfined.Config.Security = true, config.UserSelf, config.SecurityUnconfined
	for _, in := range []Input{bad, strictRoot, strictProfileRoot, strictUnconfined} {
		if _, err := Manifest(in); err == nil {
			t.Errorf("Manifest(%+v): want an error", in.Name)
		}
	}
}
