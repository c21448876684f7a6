// Package deploy holds roomshard's deployment files — the Dockerfile and the
// kustomize base and overlays under kubernetes/ — and the tests that keep
// them honest: every overlay renders, every object decodes strictly into its
// Kubernetes API type, the manifests only use flags, ports and probe paths
// the binaries really have, and the binaries started with the manifests'
// own arguments turn ready and shut down as the pod lifecycle expects.
//
// The package has no code; see README.md for the deploy guide.
package deploy
