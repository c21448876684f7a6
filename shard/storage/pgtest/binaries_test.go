package pgtest

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func fakeInstall(t *testing.T, root, version string, programs ...string) {
	t.Helper()
	bin := filepath.Join(root, version, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range programs {
		if err := os.WriteFile(filepath.Join(bin, p), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func TestFindBinariesPrefersHighestCompleteVersion(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // nothing on PATH
	root := t.TempDir()
	fakeInstall(t, root, "9.6", "initdb", "postgres")
	fakeInstall(t, root, "15", "initdb", "postgres")
	fakeInstall(t, root, "16", "initdb") // incomplete: skipped
	fakeInstall(t, root, "notes")
	got, err := findBinariesIn(root)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, "15", "bin", "postgres"); got.postgres != want {
		t.Fatalf("postgres = %s, want %s", got.postgres, want)
	}
}

func TestFindBinariesReportsWhatToInstall(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := findBinariesIn(t.TempDir())
	if !errors.Is(err, ErrNoBinaries) {
		t.Fatalf("err = %v, want ErrNoBinaries", err)
	}
}
