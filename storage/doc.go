// Package storage is devbox's image and rootfs store, built on
// go.podman.io/storage, with pulls and imports through go-containerregistry
// whose layers go into the store's PutLayer (layers are shared between
// images by chain id).
//
// It runs on both sides of a fork. The exported client functions (Pull,
// Import, List, Remove, Prune, PrepareContainer, RemoveContainer) run on the
// host; each runs its operation through Config.AsRoot, which re-execs devbox
// into a user namespace (internal/asroot), and the store itself
// is opened only inside that user namespace, with the caller's full
// subordinate id mapping (Ops lists those namespace-side operations).
package storage
