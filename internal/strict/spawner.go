package strict

// ConfineSpawner confines init's session spawner of a strict sandbox
// (internal/initproc) with steps 1-4 of the package doc, on the calling
// thread, which forks every session: its sessions inherit the confinement
// and start without a stage of their own. They share the spawner's
// Landlock domain, which holds the sandbox's self sessions and nothing else,
// so signal and abstract-socket scoping still keep them from init.
func ConfineSpawner(p Policy) error { return confine(p) }
