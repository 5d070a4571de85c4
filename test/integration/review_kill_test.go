//go:build integration

package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A devbox apply SIGKILLed partway, once its first target has been renamed
// into place, leaves every file old or new, never a mix; the next apply
// removes the temporary files the killed one left, applies the rest
// without taking the applied part for the host's edits, and leaves an
// empty diff.
func TestReviewKilledApply(t *testing.T) {
	const files = 1000
	e := newReviewEnv(t, "overlay")
	oldText := strings.Repeat("old line of the file\n", 800) // 16 KiB
	newText := oldText + strings.Repeat("new line the sandbox wrote\n", 400)
	dir := filepath.Join(e.project, "many")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < files; i++ {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%04d", i)), []byte(oldText), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	e.must("run", "--review", "--", "sh", "-c", `yes "new line the sandbox wrote" | head -n 400 > /tmp/add && for f in many/*; do cat /tmp/add >> "$f"; done`)
	e.must("stop")

	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cmd := e.command(ctx, "apply")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Apply writes in path order: many/f0000 is the first target.
	first := filepath.Join(dir, "f0000")
	for ctx.Err() == nil {
		if fi, err := os.Stat(first); err == nil && fi.Size() == int64(len(newText)) {
			break
		}
	}
	cmd.Process.Kill()
	cmd.Wait()

	var applied, temps int
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, ent := range ents {
		if strings.HasPrefix(ent.Name(), ".devbox-apply-") {
			temps++
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, ent.Name()))
		if err != nil {
			t.Fatal(err)
		}
		switch string(b) {
		case newText:
			applied++
		case oldText:
		default:
			t.Errorf("%s is neither the old nor the new version after a killed apply (%d bytes)", ent.Name(), len(b))
		}
	}
	t.Logf("the killed apply had applied %d of %d files and left %d temporary files", applied, files, temps)
	if applied == 0 || applied == files {
		t.Fatalf("the kill came after %d of %d files: the test needs it partway", applied, files)
	}
	out := e.must("apply")
	if strings.Contains(out, "conflict") {
		t.Errorf("the apply after the killed one saw conflicts:\n%s", out)
	}
	ents, _ = os.ReadDir(dir)
	for _, ent := range ents {
		if strings.HasPrefix(ent.Name(), ".devbox-apply-") {
			t.Errorf("%s left after the next apply", ent.Name())
		} else if got := readFile(t, filepath.Join(dir, ent.Name())); got != newText {
			t.Errorf("%s is not the new version after the second apply", ent.Name())
		}
	}
	if len(ents) != files {
		t.Errorf("%d entries in many/ after the second apply, want %d", len(ents), files)
	}
	if left := e.diffJSON(); len(left) != 0 {
		t.Errorf("after the second apply, diff lists %d changes, first %+v", len(left), left[0])
	}
}
