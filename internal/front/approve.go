package front

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/devbox-dev/devbox/internal/config"
	"golang.org/x/term"
)

// PrintChanges lists changes, one an indented line.
func PrintChanges(w io.Writer, changes []config.Change) {
	for _, c := range changes {
		fmt.Fprintf(w, "  %s\n", c)
	}
}

// askApproval is Options.Approve on a terminal: it shows the changes and
// takes a yes from stdin. Anything but a terminal on both stdin and stderr
// refuses without asking, so scripts and CI fail rather than hang.
func askApproval(a *App) func([]config.Change) bool {
	if !term.IsTerminal(int(os.Stdin.Fd())) || !term.IsTerminal(int(os.Stderr.Fd())) {
		return nil
	}
	return func(changes []config.Change) bool {
		fmt.Fprintf(a.Stderr, "devbox: %s asks for more access to this machine than approved:\n", config.FileName)
		PrintChanges(a.Stderr, changes)
		fmt.Fprint(a.Stderr, "Code in a sandbox can write the project: approve only changes you made. Approve? [y/N] ")
		line, _ := bufio.NewReader(os.Stdin).ReadString('\n')
		answer := strings.ToLower(strings.TrimSpace(line))
		return answer == "y" || answer == "yes"
	}
}
