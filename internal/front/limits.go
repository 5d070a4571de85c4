package front

import "github.com/spf13/pflag"

// limitFlags are the resource limit flags of run, enter and update.
type limitFlags struct {
	memory, memorySwap, pids, cpus, cpuWeight string
	require                                   bool
}

func (f *limitFlags) register(fl *pflag.FlagSet, withRequire bool) {
	fl.StringVar(&f.memory, "memory", "", "memory limit (memory.max): 512m, 2g, or max")
	fl.StringVar(&f.memorySwap, "memory-swap", "", "swap limit (memory.swap.max): 0 for no swap, 1g, or max")
	fl.StringVar(&f.pids, "pids", "", "process limit (pids.max): 512, or max")
	fl.StringVar(&f.cpus, "cpus", "", "CPU quota (cpu.max) in CPUs: 1.5, or max")
	fl.StringVar(&f.cpuWeight, "cpu-weight", "", "CPU weight (cpu.weight): 1 to 10000, default 100")
	if withRequire {
		fl.BoolVar(&f.require, "require-limits", false, "fail (exit 125) instead of warning when limits cannot be enforced")
	}
}

// RegisterLimits adds the resource limit flags to fl, as update has them:
// without --require-limits. Their values reach the config through
// FlagOverrides.
func RegisterLimits(fl *pflag.FlagSet) {
	var f limitFlags
	f.register(fl, false)
}
