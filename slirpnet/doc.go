// Package slirpnet gives a sandbox user-mode networking and published ports,
// built on rootlesskit's network drivers (slirp4netns, pasta) and its builtin
// port driver.
//
// Driver (network.go) is a --network mode as a value: its name, whether
// the sandbox gets a network namespace, whether a helper attaches, whether
// ports can be published. Drivers is the only list of them; the client,
// the supervisor and the child ask a Driver instead of comparing names.
// slirp4netns.go and pasta.go attach the two user-mode helpers,
// lifetime.go ends them, and ports.go publishes ports.
//
// It runs on both sides of the fork, and names say which:
//   - host side (the supervisor): Prepare sets up the port driver,
//     AttachFromParent starts the helper on the child's network namespace
//     (while the child builds its root), and the Network publishes ports
//     and ends every helper process;
//   - child side (the sandbox): ServePortsInChild, before pivot_root,
//     answers the port driver's connection requests from inside the
//     namespace, and ConfigureInChild, once the helper has attached, sets
//     the address, MTU and default route.
//
// Host loopback is not reachable from inside by default: a sandbox runs code
// the user has not fully read (dependencies, build scripts), and services on
// the host's 127.0.0.1 (databases, dev servers, the Docker API, cloud
// metadata proxies) trust loopback callers. --allow-host-loopback opts in and
// names the host host.devbox.internal.
package slirpnet
