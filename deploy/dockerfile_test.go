package deploy_test

import (
	"bufio"
	"go/version"
	"os"
	"regexp"
	"strings"
	"testing"
)

// The Dockerfile cannot be built here (no Docker engine), so these checks
// tie it to what the manifests and go.mod expect of it.

func readLines(t *testing.T, name string) []string {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		lines = append(lines, strings.TrimSpace(s.Text()))
	}
	return lines
}

func TestDockerfile(t *testing.T) {
	text := strings.Join(readLines(t, "Dockerfile"), "\n")
	// Every binary a manifest runs is built into /usr/local/bin.
	for _, cmd := range []string{"gateway", "shard", "roomctl"} {
		if !strings.Contains(text, "./cmd/"+cmd) {
			t.Errorf("Dockerfile does not build ./cmd/%s", cmd)
		}
	}
	for _, want := range []string{"CGO_ENABLED=0", "COPY --from=build /out/ /usr/local/bin/", "ARG VERSION"} {
		if !strings.Contains(text, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	// The runtime stage runs as the numeric uid the pods' securityContext
	// names, so runAsNonRoot can verify it.
	froms := regexp.MustCompile(`(?m)^FROM .*$`).FindAllString(text, -1)
	if len(froms) < 2 || !strings.Contains(froms[len(froms)-1], "distroless/static") {
		t.Errorf("runtime stage %q is not distroless static", froms)
	}
	if users := regexp.MustCompile(`(?m)^USER (\S+)$`).FindAllStringSubmatch(text, -1); len(users) == 0 || users[len(users)-1][1] != "65532:65532" {
		t.Errorf("final USER is %v, want 65532:65532 (the pods' runAsUser)", users)
	}
	// GOTOOLCHAIN=local in the build stage: its Go must satisfy go.mod.
	goVer := regexp.MustCompile(`(?m)^ARG GO_VERSION=(\S+)$`).FindStringSubmatch(text)
	var modVer string
	for _, l := range readLines(t, "../go.mod") {
		if v, ok := strings.CutPrefix(l, "go "); ok {
			modVer = v
		}
	}
	if goVer == nil || version.Compare("go"+goVer[1], "go"+modVer) < 0 {
		t.Errorf("Dockerfile GO_VERSION %v is older than go.mod's go %s", goVer, modVer)
	}
}

func TestDockerignoreKeepsSources(t *testing.T) {
	for _, l := range readLines(t, "../.dockerignore") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		for _, needed := range []string{"go.mod", "go.sum", "*.go", "**/*.go", "cmd", "api", "cluster", "gateway", "shard", "*"} {
			if l == needed || l == needed+"/" {
				t.Errorf(".dockerignore excludes %q, which the build needs", l)
			}
		}
	}
}
