package clustertest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// Binaries are the paths of the built commands.
type Binaries struct {
	Gateway string
	Shard   string
	Roomctl string
}

// Build compiles cmd/gateway, cmd/shard and cmd/roomctl into dir. Tests call
// it once from TestMain. With race, the binaries use the race detector too.
func Build(dir string, race bool) (Binaries, error) {
	root, err := moduleRoot()
	if err != nil {
		return Binaries{}, err
	}
	args := []string{"build", "-o", dir + string(os.PathSeparator)}
	if race {
		args = append(args, "-race")
	}
	args = append(args, "./cmd/gateway", "./cmd/shard", "./cmd/roomctl")
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return Binaries{}, fmt.Errorf("clustertest: building binaries: %w\n%s", err, out)
	}
	exe := ""
	if runtime.GOOS == "windows" {
		exe = ".exe"
	}
	return Binaries{
		Gateway: filepath.Join(dir, "gateway"+exe),
		Shard:   filepath.Join(dir, "shard"+exe),
		Roomctl: filepath.Join(dir, "roomctl"+exe),
	}, nil
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("clustertest: finding the module root: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("clustertest: not inside the roomshard module")
	}
	return filepath.Dir(gomod), nil
}
