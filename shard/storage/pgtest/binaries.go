package pgtest

import (
	"cmp"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
)

// debianRoot holds Debian's versioned installs: /usr/lib/postgresql/15/bin.
const debianRoot = "/usr/lib/postgresql"

// binaries are the server programs a Server runs.
type binaries struct {
	initdb   string
	postgres string
}

// findBinaries looks on PATH first, then in Debian's versioned directories,
// highest version first.
func findBinaries() (binaries, error) { return findBinariesIn(debianRoot) }

func findBinariesIn(versionsRoot string) (binaries, error) {
	initdb, errInit := exec.LookPath("initdb")
	postgres, errPG := exec.LookPath("postgres")
	if errInit == nil && errPG == nil {
		return binaries{initdb: initdb, postgres: postgres}, nil
	}
	for _, dir := range versionedBinDirs(versionsRoot) {
		b := binaries{initdb: filepath.Join(dir, "initdb"), postgres: filepath.Join(dir, "postgres")}
		if isExecutable(b.initdb) && isExecutable(b.postgres) {
			return b, nil
		}
	}
	return binaries{}, ErrNoBinaries
}

// versionedBinDirs lists root/*/bin by descending version.
func versionedBinDirs(root string) []string {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil
	}
	type versioned struct {
		dir     string
		version float64
	}
	var dirs []versioned
	for _, e := range entries {
		if v, err := strconv.ParseFloat(e.Name(), 64); err == nil {
			dirs = append(dirs, versioned{filepath.Join(root, e.Name(), "bin"), v})
		}
	}
	slices.SortFunc(dirs, func(a, b versioned) int { return cmp.Compare(b.version, a.version) })
	out := make([]string, len(dirs))
	for i, d := range dirs {
		out[i] = d.dir
	}
	return out
}

func isExecutable(path string) bool {
	info, err := os.Stat(path)
	return err == nil && !info.IsDir() && info.Mode()&0o111 != 0
}
