package deploy_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/roomshard/roomshard/cluster/flagenv"
	"github.com/roomshard/roomshard/cluster/ops"
	"github.com/roomshard/roomshard/gateway"
	"github.com/roomshard/roomshard/shard/server"
)

// parsed is what the checks need from either binary's Config.
type parsed struct {
	Name, HTTP, GRPC, Gossip, Advertise string
	Join                                []string
}

// binaries maps a container's binary to its own flag parsing: the same
// ParseConfig its main calls, so "accepted" means accepted by the binary.
var binaries = map[string]func(args []string, getenv func(string) string) (parsed, error){
	"gateway": func(args []string, getenv func(string) string) (parsed, error) {
		c, err := gateway.ParseConfig(args, getenv)
		return parsed{c.Name, c.HTTPAddr, c.GRPCAddr, c.GossipAddr, c.Advertise, c.Join}, err
	},
	"shard": func(args []string, getenv func(string) string) (parsed, error) {
		c, err := server.ParseConfig(args, getenv)
		return parsed{c.Name, c.HTTPAddr, c.GRPCAddr, c.GossipAddr, c.Advertise, c.Join}, err
	},
}

func noEnv(string) string { return "" }

// TestManifestFlags checks every ROOMSHARD_* variable and every arg of every
// container is a flag its binary accepts, with a value it accepts, and that
// the binary reads the manifest's settings as the other tests assume.
func TestManifestFlags(t *testing.T) {
	eachOverlay(t, func(t *testing.T, objs []object) {
		for _, w := range workloads(objs) {
			for _, c := range w.Spec.Containers {
				parse, ok := binaries[binary(c)]
				if !ok {
					t.Errorf("%s/%s runs %v, not a roomshard binary", w, c.Name, c.Command)
					continue
				}
				checkFlags(t, fmt.Sprintf("%s/%s (%s)", w, c.Name, binary(c)), c, parse, objs)
			}
		}
	})
}

func checkFlags(t *testing.T, where string, c corev1.Container, parse func([]string, func(string) string) (parsed, error), objs []object) {
	t.Helper()
	env, err := podEnv(c, testPod, objs)
	if err != nil {
		t.Errorf("%s: %v", where, err)
		return
	}
	args, err := commandArgs(c, env)
	if err != nil {
		t.Errorf("%s: %v", where, err)
		return
	}
	// One flag at a time, so each unknown flag or bad value is named.
	for _, e := range env {
		name, ok := flagOfEnv(e.Name)
		if !ok {
			if !referenced(c, e.Name) {
				t.Errorf("%s: env %s is neither ROOMSHARD_* nor used by $(%s) in another value", where, e.Name, e.Name)
			}
			continue
		}
		if _, err := parse([]string{"--" + name + "=" + e.Value}, noEnv); err != nil {
			t.Errorf("%s: env %s: %s", where, e.Name, describe(name, err))
		}
	}
	for _, a := range args {
		if _, err := parse([]string{a}, noEnv); err != nil {
			name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
			t.Errorf("%s: arg %q: %s", where, a, describe(name, err))
		}
	}
	// Then all together, as the process sees them.
	getenv := func(k string) string {
		for _, e := range env {
			if e.Name == k {
				return e.Value
			}
		}
		return ""
	}
	got, err := parse(args, getenv)
	if err != nil {
		t.Errorf("%s: the binary rejects the manifest's configuration: %v", where, err)
		return
	}
	set, _ := settings(c, testPod, objs)
	want := parsed{set["name"], set["http"], set["grpc"], set["gossip"], set["advertise"], flagenv.SplitList(set["join"])}
	if got.Name != want.Name || got.HTTP != want.HTTP || got.GRPC != want.GRPC || got.Gossip != want.Gossip || got.Advertise != want.Advertise || !slices.Equal(got.Join, want.Join) {
		t.Errorf("%s: the binary reads %+v, the manifest says %+v", where, got, want)
	}
}

// describe names the one problem precisely: a flag the binary lacks, or a
// value it refuses.
func describe(flagName string, err error) string {
	if strings.Contains(err.Error(), "flag provided but not defined") {
		return fmt.Sprintf("the binary has no flag --%s (%s): %v", flagName, flagenv.EnvName(flagName), err)
	}
	return fmt.Sprintf("--%s: %v", flagName, err)
}

func referenced(c corev1.Container, name string) bool {
	ref := "$(" + name + ")"
	for _, e := range c.Env {
		if strings.Contains(e.Value, ref) {
			return true
		}
	}
	for _, a := range append(slices.Clone(c.Command), c.Args...) {
		if strings.Contains(a, ref) {
			return true
		}
	}
	return false
}

// TestGracePeriods checks each pod's grace period covers its preStop plus
// the binary's own bounded shutdown (drain, 1012), so kubelet's SIGKILL
// never cuts a shutdown the binary would have finished.
func TestGracePeriods(t *testing.T) {
	eachOverlay(t, func(t *testing.T, objs []object) {
		for _, w := range workloads(objs) {
			grace := 30 * time.Second
			if g := w.Spec.TerminationGracePeriodSeconds; g != nil {
				grace = time.Duration(*g) * time.Second
			}
			for _, c := range w.Spec.Containers {
				need := time.Duration(preStopSleep(c))*time.Second + ops.DefaultShutdownTimeout + 5*time.Second
				if grace < need {
					t.Errorf("%s: grace period %v < preStop + shutdown bound %v + 5 s", w, grace, need-5*time.Second)
				}
			}
		}
	})
}

// TestDescribeUnknownFlag guards the report: a manifest flag the binary
// lacks must be named as such.
func TestDescribeUnknownFlag(t *testing.T) {
	for bin, parse := range binaries {
		_, err := parse([]string{"--no-such-flag=1"}, noEnv)
		if err == nil {
			t.Fatalf("%s accepted --no-such-flag", bin)
		}
		if msg := describe("no-such-flag", err); !strings.Contains(msg, "has no flag --no-such-flag (ROOMSHARD_NO_SUCH_FLAG)") {
			t.Errorf("%s: %s", bin, msg)
		}
	}
}
