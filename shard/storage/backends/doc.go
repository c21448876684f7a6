// Package backends opens a storage backend from a --storage spec (SPEC §1):
// "memory", "pebble:PATH", or a postgres:// / postgresql:// URL. It is the
// one package that knows every backend, so the storage package itself
// depends on none. Open is safe to call concurrently.
package backends
