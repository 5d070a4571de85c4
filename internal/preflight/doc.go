// Package preflight probes the host for what devbox needs: user namespaces,
// the newuidmap/newgidmap helpers, subordinate ids, user-mode networking,
// /dev/net/tun, fuse-overlayfs and a delegated cgroup v2 subtree.
//
// It runs on the host side, in the parent, before any fork (ProbeUserNS
// forks only a throwaway /bin/true). Its results serve three readers:
// `devbox doctor` (Run, Format), the core at the point of failure
// (errors wrapped with package hint) and the tests (internal/testutil).
package preflight
