//go:build integration

package integration

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

// recipeBlock returns the fenced yaml block of docs/ci.md that contains
// marker.
func recipeBlock(t *testing.T, root, marker string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "docs", "ci.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(string(b), -1) {
		if strings.Contains(m[1], marker) {
			return m[1]
		}
	}
	t.Fatalf("docs/ci.md: no yaml block with %q", marker)
	return ""
}

// recipeRewrite makes a recipe's shell step runnable here, without network
// or root: the clone becomes a copy of this tree, sudo goes (install.sh
// then takes its path for a normal user, which changes nothing outside the
// install dir and prints the sudo commands), and /usr/local becomes a
// private prefix. Each rewrite must apply somewhere in the recipe, so a
// doc that drifts fails here.
type recipeRewrite struct {
	root, clone, prefix string
	used                map[string]bool
}

func (r *recipeRewrite) apply(script string) string {
	for _, s := range [][2]string{
		{"git clone --depth 1 https://github.com/devbox-dev/devbox /tmp/devbox", "cp -R " + r.root + " " + r.clone},
		{`sudo env "PATH=$PATH" `, ""},
		{"/tmp/devbox/install.sh", r.clone + "/install.sh"},
		{"--prefix /usr/local", "--prefix " + r.prefix},
	} {
		if strings.Contains(script, s[0]) {
			r.used[s[0]] = true
			script = strings.ReplaceAll(script, s[0], s[1])
		}
	}
	return script
}

func (r *recipeRewrite) check(t *testing.T, want ...string) {
	t.Helper()
	for _, w := range want {
		if !r.used[w] {
			t.Errorf("the recipe no longer has %q, which this test rewrites", w)
		}
	}
}

// TestCIRecipe_ShellSteps runs the shell steps of docs/ci.md's GitHub
// workflow and GitLab job here, as the unprivileged test user, rewritten
// as recipeRewrite says: install.sh builds and installs devbox, doctor
// passes, and `devbox run -- make test` runs the project's make test in
// the sandbox. Not run: actions/checkout and actions/setup-go (the test's
// tree and Go stand in), and install.sh's root part (AppArmor profile,
// packages, subordinate ids), which this user cannot do.
func TestCIRecipe_ShellSteps(t *testing.T) {
	t.Parallel() // install.sh's two builds take minutes on a cold cache
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed: the recipes run make test")
	}
	e := newEnv(t)
	if err := os.WriteFile(filepath.Join(e.project, "Makefile"), []byte("test:\n\t@echo make-test-ran uid=$$(id -u)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	var wf struct {
		Jobs map[string]struct {
			Steps []struct {
				Run string `json:"run"`
			} `json:"steps"`
		} `json:"jobs"`
	}
	if err := yaml.Unmarshal([]byte(recipeBlock(t, root, ".github/workflows/")), &wf); err != nil {
		t.Fatalf("workflow: %v", err)
	}
	var gl map[string]struct {
		BeforeScript []string `json:"before_script"`
		Script       []string `json:"script"`
	}
	if err := yaml.Unmarshal([]byte(recipeBlock(t, root, ".gitlab-ci.yml")), &gl); err != nil {
		t.Fatalf("GitLab job: %v", err)
	}
	recipes := map[string][]string{"github": nil, "gitlab": append(gl["test"].BeforeScript, gl["test"].Script...)}
	for _, s := range wf.Jobs["test"].Steps {
		if s.Run != "" {
			recipes["github"] = append(recipes["github"], s.Run)
		}
	}
	for _, name := range []string{"github", "gitlab"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(tmp, name)
			rw := &recipeRewrite{root: root, clone: filepath.Join(dir, "devbox"), prefix: filepath.Join(dir, "prefix"), used: map[string]bool{}}
			os.MkdirAll(dir, 0o755)
			var out strings.Builder
			for _, step := range recipes[name] {
				out.WriteString(runRecipeStep(t, e, rw, step))
			}
			rw.check(t, "git clone --depth 1 https://github.com/devbox-dev/devbox /tmp/devbox", "/tmp/devbox/install.sh", "--prefix /usr/local")
			if name == "github" {
				rw.check(t, `sudo env "PATH=$PATH" `)
			}
			for _, want := range []string{"installed " + rw.prefix + "/bin/devbox", "make-test-ran uid="} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("the %s recipe's output lacks %q:\n%s", name, want, out.String())
				}
			}
		})
	}
}

// runRecipeStep runs one step with bash -e in the project, with the
// recipe's prefix first in PATH, and returns its output; a failure fails
// the test.
func runRecipeStep(t *testing.T, e *env, rw *recipeRewrite, step string) string {
	t.Helper()
	script := rw.apply(step)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-e", "-c", script)
	cmd.Dir = e.project
	cmd.Env = append(e.environ(), "PATH="+rw.prefix+"/bin:/usr/local/go/bin:"+e.path)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("step %q (run as %q): %v\n%s", step, script, err, out)
	}
	return string(out)
}
