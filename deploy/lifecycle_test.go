package deploy_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
	"github.com/roomshard/roomshard/cluster/admin"
	"github.com/roomshard/roomshard/cluster/clustertest"
)

// postgresEnv names a PostgreSQL URL the lifecycle test may use for the
// postgres overlay; without it the shards there run on memory storage (the
// test is about the pod lifecycle, not the backend).
const postgresEnv = "ROOMSHARD_TEST_POSTGRES_URL"

// TestPodLifecycle starts, for each overlay, the real binaries with exactly
// the environment and args its manifests give them (addresses moved to free
// loopback ports, volumes to temporary directories), then plays what the
// kubelet does: probes until every pod is ready, SIGTERM a shard (as a
// rolling update does) and check its rooms move without dropping clients,
// SIGTERM the gateway and check its clients get 1012, and check every
// process exits cleanly within its pod's grace period.
func TestPodLifecycle(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes; skipped with -short")
	}
	bins, err := clustertest.Build(t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	examples := readExamples(t)
	for _, dir := range overlays(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			objs := withOperatorSecrets(render(t, dir), examples)
			runOverlay(t, bins, objs)
		})
	}
}

func runOverlay(t *testing.T, bins clustertest.Binaries, objs []object) {
	pods := planPods(t, objs)
	for _, p := range pods {
		p.env = p.podEnvironment(t, objs, pods)
	}
	for _, p := range pods {
		p.start(t, bins)
	}
	for _, p := range pods {
		p.waitProbes(t)
	}
	var shards []*pod
	var gw *pod
	for _, p := range pods {
		if p.binary == "shard" {
			shards = append(shards, p)
		} else {
			gw = p
		}
	}
	if gw == nil || len(shards) == 0 {
		t.Fatalf("need a gateway and a shard, rendered %d pods", len(pods))
	}

	// Clients and roomctl reach the pods through the Services, as in a cluster.
	web := serviceAddr(t, objs, pods, clientService, "http")
	admin := adminClient(t, serviceAddr(t, objs, pods, adminService, "grpc"), lookupEnv(gw.env, "ROOMSHARD_ADMIN_TOKEN"))
	waitRing(t, admin, shards)
	last := shards[len(shards)-1]
	var clients []*websocket.Conn
	onLast := 0
	for i := 0; len(clients) < 6 || (len(shards) > 1 && onLast < 2); i++ {
		if i == 50 {
			t.Fatalf("no room of 50 lands on %s", last.name)
		}
		room := fmt.Sprintf("lifecycle-%d", i)
		if owner := locate(t, admin, room); owner == last.name {
			onLast++
		} else if len(clients) >= 6 {
			continue
		}
		c := dialRoom(t, web, room)
		echo(t, c, "before-"+room)
		clients = append(clients, c)
	}
	if len(shards) > 1 {
		// A rolling update terminates the highest ordinal first; its rooms
		// must move while their clients stay connected.
		last.terminate(t)
		for i, c := range clients {
			echo(t, c, fmt.Sprintf("after-drain-%d", i))
		}
		shards = shards[:len(shards)-1]
	}

	gw.signal(syscall.SIGTERM)
	for i, c := range clients {
		expectClose(t, c, websocket.CloseServiceRestart, gw.exitBudget(), i)
	}
	gw.waitExit(t)
	for _, s := range shards {
		s.terminate(t)
	}
}

// pod is one process standing in for one pod of a rendered workload.
type pod struct {
	name     string
	binary   string
	workload workload
	c        corev1.Container
	// ports maps each declared containerPort to the loopback port used
	// instead (TCP and UDP of one number share it, as memberlist needs).
	ports map[int32]int
	// mounts maps each volume mount path to a temporary directory.
	mounts map[string]string
	env    []string

	cmd      *exec.Cmd
	logs     *lockedBuffer
	done     chan struct{}
	err      error // set before done closes
	signaled time.Time
}

func planPods(t *testing.T, objs []object) []*pod {
	t.Helper()
	var pods []*pod
	for _, w := range workloads(objs) {
		n := 1 // a Deployment under an HPA: one gateway is enough here
		if w.Kind == "StatefulSet" && w.Replicas != nil {
			n = int(min(*w.Replicas, 3))
		}
		for i := range n {
			name := fmt.Sprintf("%s-%d", w.Name, i)
			if w.Kind == "Deployment" {
				name = w.Name + "-5d8c7f9b6-x2k4p"
			}
			c := w.Spec.Containers[0]
			p := &pod{name: name, binary: binary(c), workload: w, c: c, ports: map[int32]int{}, mounts: map[string]string{}}
			for _, cp := range c.Ports {
				if _, ok := p.ports[cp.ContainerPort]; ok {
					continue
				}
				port, err := clustertest.FreePort()
				if err != nil {
					t.Fatal(err)
				}
				p.ports[cp.ContainerPort] = port
			}
			for _, m := range c.VolumeMounts {
				p.mounts[m.MountPath] = t.TempDir()
			}
			pods = append(pods, p)
		}
	}
	return pods
}

// podEnvironment resolves the container's environment as the kubelet would
// for this pod, then moves addresses and paths onto this machine.
func (p *pod) podEnvironment(t *testing.T, objs []object, pods []*pod) []string {
	t.Helper()
	env, err := podEnv(p.c, fakePod{Name: p.name, Namespace: "roomshard", IP: "127.0.0.1"}, objs)
	if err != nil {
		t.Fatalf("%s: %v", p.name, err)
	}
	if len(p.c.Args) > 0 {
		t.Fatalf("%s: container args %v: the lifecycle test passes env only; extend it", p.name, p.c.Args)
	}
	out := make([]string, 0, len(env))
	for _, e := range env {
		v := p.localize(t, e.Value, objs, pods)
		if v != e.Value {
			t.Logf("%s: %s=%s -> %s", p.name, e.Name, e.Value, v)
		}
		out = append(out, e.Name+"="+v)
	}
	return out
}

// localize rewrites one value: a listen or advertise address on a declared
// port goes to its loopback port; a headless Service address becomes the
// addresses of the pods it selects (what its DNS name resolves to); a path
// under a volume mount goes to the mount's temporary directory; the
// PostgreSQL URL to a test database or memory.
func (p *pod) localize(t *testing.T, v string, objs []object, pods []*pod) string {
	switch {
	case strings.HasPrefix(v, "pebble:"):
		path := strings.TrimPrefix(v, "pebble:")
		for mount, dir := range p.mounts {
			if rel, err := filepath.Rel(mount, path); err == nil && !strings.HasPrefix(rel, "..") {
				return "pebble:" + filepath.Join(dir, rel)
			}
		}
		return v
	case strings.HasPrefix(v, "postgres://"), strings.HasPrefix(v, "postgresql://"):
		if u := os.Getenv(postgresEnv); u != "" {
			return u
		}
		return "memory"
	}
	var items []string
	for _, item := range strings.Split(v, ",") {
		items = append(items, p.localizeAddr(t, item, objs, pods)...)
	}
	return strings.Join(items, ",")
}

func (p *pod) localizeAddr(t *testing.T, item string, objs []object, pods []*pod) []string {
	host, port, err := net.SplitHostPort(item)
	if err != nil {
		return []string{item}
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		return []string{item}
	}
	if host == "" || host == "127.0.0.1" {
		if local, ok := p.ports[int32(n)]; ok {
			return []string{net.JoinHostPort("127.0.0.1", strconv.Itoa(local))}
		}
		return []string{item}
	}
	name, _, _ := strings.Cut(host, ".")
	svc := findService(objs, name)
	if svc == nil || svc.Spec.ClusterIP != corev1.ClusterIPNone {
		t.Fatalf("%s: address %q is neither this pod's nor a headless Service's", p.name, item)
	}
	var sp *corev1.ServicePort
	for i := range svc.Spec.Ports {
		if svc.Spec.Ports[i].Port == int32(n) {
			sp = &svc.Spec.Ports[i]
			break
		}
	}
	if sp == nil {
		t.Fatalf("%s: Service %s has no port %d", p.name, svc.Name, n)
	}
	var out []string
	for _, peer := range pods {
		if !labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(peer.workload.Labels)) {
			continue
		}
		cp, ok := containerPort(peer.c, sp.TargetPort, sp.Protocol)
		if !ok {
			t.Fatalf("Service %s port %d does not reach %s", svc.Name, n, peer.name)
		}
		out = append(out, net.JoinHostPort("127.0.0.1", strconv.Itoa(peer.ports[cp.ContainerPort])))
	}
	return out
}

// start runs the binary with the pod's environment only: nothing of the
// test's own environment (a stray ROOMSHARD_* would change the result).
func (p *pod) start(t *testing.T, bins clustertest.Binaries) {
	t.Helper()
	bin := map[string]string{"gateway": bins.Gateway, "shard": bins.Shard}[p.binary]
	p.cmd = exec.Command(bin)
	p.cmd.Env = p.env
	p.logs = &lockedBuffer{}
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p.done = make(chan struct{})
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("%s: %v", p.name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("--- %s logs ---\n%s", p.name, p.logs.tail(60))
		}
	})
}

// waitProbes polls every probe of the container, at the port it names,
// until each answers 200 as the kubelet requires.
func (p *pod) waitProbes(t *testing.T) {
	t.Helper()
	client := &http.Client{Timeout: time.Second}
	for kind, probe := range map[string]*corev1.Probe{"startup": p.c.StartupProbe, "liveness": p.c.LivenessProbe, "readiness": p.c.ReadinessProbe} {
		if probe == nil || probe.HTTPGet == nil {
			continue
		}
		url := "http://" + p.addr(t, probe.HTTPGet.Port) + probe.HTTPGet.Path
		clustertest.Eventually(t, 30*time.Second, 50*time.Millisecond, func() error {
			select {
			case <-p.done:
				t.Fatalf("%s exited before its %s probe passed: %v", p.name, kind, p.err)
			default:
			}
			resp, err := client.Get(url)
			if err != nil {
				return fmt.Errorf("%s %s probe: %w", p.name, kind, err)
			}
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("%s %s probe %s: %s", p.name, kind, url, resp.Status)
			}
			return nil
		})
	}
}

// addr is the loopback address of a port the manifest names.
func (p *pod) addr(t *testing.T, port intstr.IntOrString) string {
	t.Helper()
	cp, ok := containerPort(p.c, port, corev1.ProtocolTCP)
	if !ok {
		t.Fatalf("%s: no container port %s", p.name, port.String())
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(p.ports[cp.ContainerPort]))
}

// exitBudget is what the kubelet gives the process after SIGTERM: the grace
// period minus the preStop hook that ran before it.
func (p *pod) exitBudget() time.Duration {
	grace := 30 * time.Second
	if g := p.workload.Spec.TerminationGracePeriodSeconds; g != nil {
		grace = time.Duration(*g) * time.Second
	}
	return grace - time.Duration(preStopSleep(p.c))*time.Second
}

func (p *pod) signal(sig syscall.Signal) {
	p.signaled = time.Now()
	_ = p.cmd.Process.Signal(sig)
}

// waitExit fails unless the process exits cleanly within its exit budget.
func (p *pod) waitExit(t *testing.T) {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(time.Until(p.signaled.Add(p.exitBudget()))):
		t.Fatalf("%s still running %v after SIGTERM: the kubelet would SIGKILL it", p.name, p.exitBudget())
	}
	if p.err != nil {
		t.Errorf("%s exited uncleanly after SIGTERM: %v", p.name, p.err)
	}
	t.Logf("%s exited %v after SIGTERM (budget %v)", p.name, time.Since(p.signaled).Round(time.Millisecond), p.exitBudget())
}

func (p *pod) terminate(t *testing.T) {
	t.Helper()
	p.signal(syscall.SIGTERM)
	p.waitExit(t)
}

// Services the test reaches pods through, as deploy/README.md names them.
const (
	clientService = "roomshard-gateway"
	adminService  = "roomshard-admin"
)

// serviceAddr is where a Service port leads: the loopback port of the
// first started pod it selects.
func serviceAddr(t *testing.T, objs []object, pods []*pod, name, port string) string {
	t.Helper()
	svc := findService(objs, name)
	if svc == nil {
		t.Fatalf("no Service %s", name)
	}
	for _, sp := range svc.Spec.Ports {
		if sp.Name != port {
			continue
		}
		for _, p := range pods {
			if labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(p.workload.Labels)) {
				return p.addr(t, sp.TargetPort)
			}
		}
	}
	t.Fatalf("Service %s port %q reaches no pod", name, port)
	return ""
}

// lookupEnv is the value of name in a KEY=VALUE list, or "".
func lookupEnv(env []string, name string) string {
	for _, e := range env {
		if k, v, ok := strings.Cut(e, "="); ok && k == name {
			return v
		}
	}
	return ""
}

// adminClient dials the admin API as roomctl in a pod would: with the
// pods' admin token when they have one.
func adminClient(t *testing.T, addr, token string) roomshardv1.AdminServiceClient {
	t.Helper()
	opts := []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	if token != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(admin.BearerToken(token)))
	}
	conn, err := grpc.NewClient(addr, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return roomshardv1.NewAdminServiceClient(conn)
}

// waitRing waits until the admin API's ring holds every shard under its
// pod name: the downward-API names are the ring's keys.
func waitRing(t *testing.T, admin roomshardv1.AdminServiceClient, shards []*pod) {
	t.Helper()
	var want []string
	for _, s := range shards {
		want = append(want, s.name)
	}
	clustertest.Eventually(t, 20*time.Second, 100*time.Millisecond, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		r, err := admin.GetRing(ctx, &roomshardv1.GetRingRequest{})
		if err != nil {
			return err
		}
		var got []string
		for _, s := range r.GetShards() {
			got = append(got, s.GetName())
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			return fmt.Errorf("ring holds %v, want %v", got, want)
		}
		return nil
	})
}

func locate(t *testing.T, admin roomshardv1.AdminServiceClient, room string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r, err := admin.LocateRoom(ctx, &roomshardv1.LocateRoomRequest{Namespace: "echo", Name: room})
	if err != nil {
		t.Fatalf("locating %s: %v", room, err)
	}
	return r.GetOwner()
}

// dialRoom connects a client to an echo room through the client Service.
func dialRoom(t *testing.T, web, room string) *websocket.Conn {
	t.Helper()
	url := "ws://" + web + "/ns/echo/rooms/" + room + "/websocket"
	c, resp, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		status := ""
		if resp != nil {
			status = resp.Status
		}
		t.Fatalf("dialing %s: %v %s", url, err, status)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// echo sends msg and expects the echo room's reply.
func echo(t *testing.T, c *websocket.Conn, msg string) {
	t.Helper()
	if err := c.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
		t.Fatalf("sending %q: %v", msg, err)
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, got, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("reading the echo of %q: %v", msg, err)
	}
	if want := "[Durable Object]: " + msg; string(got) != want {
		t.Fatalf("echo = %q, want %q", got, want)
	}
}

// expectClose reads until the connection closes and checks the close code.
func expectClose(t *testing.T, c *websocket.Conn, code int, within time.Duration, i int) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(within))
	for {
		_, msg, err := c.ReadMessage()
		if err == nil {
			t.Logf("client %d: message %q while waiting for close", i, msg)
			continue
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != code {
			t.Errorf("client %d: %v, want close code %d", i, err, code)
		}
		return
	}
}

// lockedBuffer collects a process's output from exec's copier goroutines.
type lockedBuffer struct {
	// protects b
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) tail(lines int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	parts := strings.Split(l.b.String(), "\n")
	return strings.Join(parts[max(0, len(parts)-lines):], "\n")
}
