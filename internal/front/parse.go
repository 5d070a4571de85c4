package front

import (
	"io"

	"github.com/devbox-dev/devbox/internal/trace"
	"github.com/spf13/pflag"
)

// Parse parses a command line Handles accepted as devbox-engine's cobra
// command (run or enter, args[0]) does: the flags set, the command's own
// flags and its arguments. ok is false when the engine's parse would not
// reach the command (an unknown or malformed flag, help, run without a
// command): the engine then prints its own message or help.
func Parse(args []string) (fl *pflag.FlagSet, argv []string, ok bool) {
	fl, _, argv, ok = parse(args)
	return fl, argv, ok
}

// parse is Parse with the flags' values: enter's are f's SandboxFlags.
func parse(args []string) (fl *pflag.FlagSet, f *RunFlags, argv []string, ok bool) {
	fl = pflag.NewFlagSet(args[0], pflag.ContinueOnError)
	fl.Usage = func() {} // help, and its text, is the engine's
	fl.SetOutput(io.Discard)
	f = &RunFlags{}
	if args[0] == "enter" {
		f.SandboxFlags.RegisterEnter(fl)
	} else {
		f.RegisterRun(fl)
	}
	// devbox's global flag, which cobra's root lends every command.
	traceFlag := fl.Bool("trace", false, "")
	if err := fl.Parse(args[1:]); err != nil {
		return nil, nil, nil, false // -h and --help too: pflag's ErrHelp
	}
	argv = fl.Args()
	if args[0] == "run" && len(argv) == 0 {
		return nil, nil, nil, false
	}
	if *traceFlag {
		trace.Enable()
	}
	return fl, f, argv, true
}
