// Package slirpnet gives a sandbox user-mode networking and published ports,
// built on rootlesskit's network drivers (slirp4netns, pasta) and its builtin
// port driver.
//
// It runs on both sides of the fork, and names say which:
//   - host side (the supervisor): Start attaches a driver to the child's
//     network namespace, publishes ports, and ends every helper process;
//   - child side (the sandbox, before pivot_root): ConfigureInChild sets the
//     address, MTU and default route, and ServePortsInChild answers the port
//     driver's connection requests from inside the namespace.
//
// Host loopback is not reachable from inside by default: a sandbox runs code
// the user has not fully read (dependencies, build scripts), and services on
// the host's 127.0.0.1 (databases, dev servers, the Docker API, cloud
// metadata proxies) trust loopback callers. --allow-host-loopback opts in and
// names the host host.devbox.internal.
package slirpnet
