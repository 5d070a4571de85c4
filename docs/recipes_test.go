package docs

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// block returns the fenced code block of lang in the markdown file path
// whose text contains marker; the test fails without one.
func block(t *testing.T, path, lang, marker string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile("(?s)```" + lang + "\n(.*?)```")
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		if strings.Contains(m[1], marker) {
			return m[1]
		}
	}
	t.Fatalf("%s: no ```%s block containing %q", path, lang, marker)
	return ""
}

// workflow is the part of a GitHub Actions workflow the recipe sets.
type workflow struct {
	Name string `json:"name"`
	Jobs map[string]struct {
		RunsOn string `json:"runs-on"`
		Steps  []struct {
			Name string            `json:"name"`
			Uses string            `json:"uses"`
			With map[string]string `json:"with"`
			Run  string            `json:"run"`
		} `json:"steps"`
	} `json:"jobs"`
}

// githubWorkflow parses the workflow of docs/ci.md.
func githubWorkflow(t *testing.T, path string) workflow {
	t.Helper()
	var w workflow
	if err := yaml.Unmarshal([]byte(block(t, path, "yaml", ".github/workflows/")), &w); err != nil {
		t.Fatalf("the GitHub workflow in %s does not parse: %v", path, err)
	}
	return w
}

// gitlabJob is a job of .gitlab-ci.yml as the recipe writes it.
type gitlabJob struct {
	Image        string   `json:"image"`
	BeforeScript []string `json:"before_script"`
	Script       []string `json:"script"`
}

func TestCIRecipe_GitHubWorkflow(t *testing.T) {
	w := githubWorkflow(t, "ci.md")
	job, ok := w.Jobs["test"]
	if !ok || len(w.Jobs) != 1 {
		t.Fatalf("want one job, test: %+v", w.Jobs)
	}
	if job.RunsOn != "ubuntu-24.04" {
		t.Errorf("runs-on = %q, want ubuntu-24.04 (the runner with the AppArmor restriction)", job.RunsOn)
	}
	var runs []string
	uses := map[string]bool{}
	for _, s := range job.Steps {
		if s.Uses != "" {
			uses[strings.Split(s.Uses, "@")[0]] = true
		}
		if s.Run != "" {
			runs = append(runs, s.Run)
		}
	}
	if !uses["actions/checkout"] || !uses["actions/setup-go"] {
		t.Errorf("steps use %v: want actions/checkout and actions/setup-go (install.sh builds with Go)", uses)
	}
	all := strings.Join(runs, "\n")
	for _, want := range []string{
		`sudo env "PATH=$PATH" sh /tmp/devbox/install.sh`, // root: the AppArmor profile, packages, subids
		`--user "$USER"`,
		"devbox doctor",
		"devbox run -- make test",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("the workflow's run steps lack %q:\n%s", want, all)
		}
	}
	if !strings.HasSuffix(strings.TrimSpace(all), "devbox run -- make test") {
		t.Errorf("the last step is not the test in the sandbox:\n%s", all)
	}
}

func TestCIRecipe_GitLabJobAndRunner(t *testing.T) {
	var jobs map[string]gitlabJob
	if err := yaml.UnmarshalStrict([]byte(block(t, "ci.md", "yaml", ".gitlab-ci.yml")), &jobs); err != nil {
		t.Fatalf("the GitLab job does not parse: %v", err)
	}
	job, ok := jobs["test"]
	if !ok {
		t.Fatalf("no job test: %+v", jobs)
	}
	if !strings.Contains(job.Image, "bookworm") {
		t.Errorf("image %q: want a Debian 12 image with Go", job.Image)
	}
	before := strings.Join(job.BeforeScript, "\n")
	if !strings.Contains(before, "sh /tmp/devbox/install.sh") || strings.Contains(before, "sudo") {
		t.Errorf("before_script: want install.sh run as the container's root, without sudo:\n%s", before)
	}
	if len(job.Script) != 1 || job.Script[0] != "devbox run --rm -- make test" {
		t.Errorf("script = %q, want devbox run --rm -- make test", job.Script)
	}
	var runner struct {
		Runners struct {
			Docker struct {
				Devices     []string `toml:"devices"`
				SecurityOpt []string `toml:"security_opt"`
			} `toml:"docker"`
		} `toml:"runners"`
	}
	md, err := toml.Decode(block(t, "ci.md", "toml", "[runners.docker]"), &runner)
	if err != nil {
		t.Fatalf("the runner settings do not parse: %v", err)
	}
	if u := md.Undecoded(); len(u) > 0 {
		t.Errorf("runner settings this test does not know: %v", u)
	}
	d := runner.Runners.Docker
	for _, want := range []string{"/dev/net/tun", "/dev/fuse"} {
		if !contains(d.Devices, want) {
			t.Errorf("runner devices %v lack %s", d.Devices, want)
		}
	}
	// systempaths=unconfined unmasks /proc (the sandbox's own /proc);
	// seccomp=unconfined lets it set the hostname.
	for _, want := range []string{"systempaths=unconfined", "seccomp=unconfined"} {
		if !contains(d.SecurityOpt, want) {
			t.Errorf("runner security_opt %v lacks %s", d.SecurityOpt, want)
		}
	}
}

// The Pod spec of kubernetes.md decodes strictly as a core/v1 Pod and sets
// what its numbered notes say devbox needs.
func TestKubernetesRecipe_PodSpec(t *testing.T) {
	var pod corev1.Pod
	if err := yaml.UnmarshalStrict([]byte(block(t, "kubernetes.md", "yaml", "name: devbox-ci")), &pod); err != nil {
		t.Fatalf("the Pod spec does not decode as a Pod: %v", err)
	}
	if pod.Kind != "Pod" || pod.APIVersion != "v1" {
		t.Errorf("kind %q apiVersion %q, want Pod v1", pod.Kind, pod.APIVersion)
	}
	if pod.Spec.HostUsers == nil || *pod.Spec.HostUsers {
		t.Errorf("hostUsers = %v, want false: (1) a user namespace of the pod's own", pod.Spec.HostUsers)
	}
	if pod.Spec.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("restartPolicy = %q, want Never (a CI job runs once)", pod.Spec.RestartPolicy)
	}
	if len(pod.Spec.Containers) != 1 {
		t.Fatalf("want one container, got %d", len(pod.Spec.Containers))
	}
	c := pod.Spec.Containers[0]
	sc := c.SecurityContext
	if sc == nil {
		t.Fatal("the container has no securityContext")
	}
	if sc.ProcMount == nil || *sc.ProcMount != corev1.UnmaskedProcMount {
		t.Errorf("procMount = %v, want Unmasked: (2) the sandbox's own /proc", sc.ProcMount)
	}
	if sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeUnconfined {
		t.Errorf("seccompProfile = %+v, want Unconfined: (3) sethostname", sc.SeccompProfile)
	}
	if sc.Privileged != nil && *sc.Privileged {
		t.Error("the pod is privileged: the recipe's point is that it need not be")
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Errorf("allowPrivilegeEscalation = %v, want false: (5) devbox as the pod's root runs under no_new_privs", sc.AllowPrivilegeEscalation)
	}
	for _, res := range []corev1.ResourceName{"devices.kubevirt.io/tun", "github.com/fuse"} {
		if q, ok := c.Resources.Limits[res]; !ok || q.Value() != 1 {
			t.Errorf("limits lack one %s: (4) /dev/net/tun and /dev/fuse through device plugins", res)
		}
	}
	cmd := strings.Join(c.Command, " ")
	for _, want := range []string{"install.sh", "devbox run --rm -- make test"} {
		if !strings.Contains(cmd, want) {
			t.Errorf("command lacks %q: %s", want, cmd)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
