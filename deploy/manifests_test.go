package deploy_test

import (
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// testPod is the pod identity the static checks resolve env values for.
var testPod = fakePod{Name: "roomshard-test-0", Namespace: "roomshard", IP: "10.1.2.3"}

// eachOverlay renders every overlay and runs f on its objects plus the
// Secrets an operator creates (withOperatorSecrets).
func eachOverlay(t *testing.T, f func(t *testing.T, objs []object)) {
	t.Helper()
	examples := readExamples(t)
	for _, dir := range overlays(t) {
		t.Run(dir[len(overlaysDir)+1:], func(t *testing.T) {
			f(t, withOperatorSecrets(render(t, dir), examples))
		})
	}
}

func TestPodSecurity(t *testing.T) {
	eachOverlay(t, func(t *testing.T, objs []object) {
		accounts := map[string]bool{}
		for _, sa := range ofType[*corev1.ServiceAccount](objs) {
			accounts[sa.Name] = true
		}
		for _, w := range workloads(objs) {
			s := w.Spec
			if s.AutomountServiceAccountToken == nil || *s.AutomountServiceAccountToken {
				t.Errorf("%s mounts a service account token it never uses", w)
			}
			if !accounts[s.ServiceAccountName] {
				t.Errorf("%s uses service account %q, which is not rendered", w, s.ServiceAccountName)
			}
			psc := s.SecurityContext
			if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
				t.Errorf("%s: pod must set runAsNonRoot and a non-zero runAsUser", w)
			}
			if psc == nil || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
				t.Errorf("%s: pod must use the RuntimeDefault seccomp profile", w)
			}
			for _, c := range s.Containers {
				sc := c.SecurityContext
				switch {
				case sc == nil:
					t.Errorf("%s/%s: no securityContext", w, c.Name)
					continue
				case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
					t.Errorf("%s/%s: allowPrivilegeEscalation must be false", w, c.Name)
				case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
					t.Errorf("%s/%s: readOnlyRootFilesystem must be true", w, c.Name)
				case sc.Privileged != nil && *sc.Privileged:
					t.Errorf("%s/%s: privileged", w, c.Name)
				case sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0:
					t.Errorf("%s/%s: must drop ALL capabilities and add none", w, c.Name)
				}
				r := c.Resources
				if r.Requests.Cpu().IsZero() || r.Requests.Memory().IsZero() || r.Limits.Memory().IsZero() {
					t.Errorf("%s/%s: needs cpu and memory requests and a memory limit", w, c.Name)
				}
			}
		}
	})
}

// TestOneImage checks every container runs one of the binaries the single
// image (deploy/Dockerfile) ships, from that image.
func TestOneImage(t *testing.T) {
	eachOverlay(t, func(t *testing.T, objs []object) {
		images := map[string]bool{}
		for _, w := range workloads(objs) {
			for _, c := range w.Spec.Containers {
				images[c.Image] = true
				if b := binary(c); !slices.Contains([]string{"gateway", "shard"}, b) || c.Command[0] != "/usr/local/bin/"+b {
					t.Errorf("%s/%s: command %v is not /usr/local/bin/gateway or /usr/local/bin/shard", w, c.Name, c.Command)
				}
				for _, a := range c.Args {
					if strings.HasPrefix(a, "-") && !strings.Contains(a, "=") {
						t.Errorf("%s/%s: write flag %q as --flag=value so it stays one list item", w, c.Name, a)
					}
				}
			}
		}
		if len(images) != 1 {
			t.Errorf("containers use %d images %v; the Dockerfile builds one", len(images), images)
		}
	})
}

// TestListenPorts checks each container's listen addresses (from its env and
// args) against the ports it declares: a Service or probe naming "http"
// must reach what the binary really listens on.
func TestListenPorts(t *testing.T) {
	eachOverlay(t, func(t *testing.T, objs []object) {
		for _, w := range workloads(objs) {
			for _, c := range w.Spec.Containers {
				set, err := settings(c, testPod, objs)
				if err != nil {
					t.Errorf("%s/%s: %v", w, c.Name, err)
					continue
				}
				for flag, ports := range map[string][]string{"http": {"http"}, "grpc": {"grpc"}, "gossip": {"gossip", "gossip-udp"}} {
					_, p, err := net.SplitHostPort(set[flag])
					if err != nil {
						t.Errorf("%s/%s: --%s=%q: set it explicitly as [host]:port (%v)", w, c.Name, flag, set[flag], err)
						continue
					}
					for _, name := range ports {
						cp, ok := containerPort(c, intstr.FromString(name), protocolOf(name))
						if !ok || strconv.Itoa(int(cp.ContainerPort)) != p {
							t.Errorf("%s/%s: port %q must be declared as %s, the --%s port", w, c.Name, name, p, flag)
						}
					}
				}
				host, p, err := net.SplitHostPort(set["advertise"])
				_, gp, _ := net.SplitHostPort(set["gossip"])
				if err != nil || host != testPod.IP || p != gp {
					t.Errorf("%s/%s: --advertise=%q, want the pod IP and the gossip port %s", w, c.Name, set["advertise"], gp)
				}
				if set["name"] != testPod.Name {
					t.Errorf("%s/%s: --name=%q, want the pod name (downward API metadata.name) so node names are unique and stable", w, c.Name, set["name"])
				}
			}
		}
	})
}

func protocolOf(portName string) corev1.Protocol {
	if strings.HasSuffix(portName, "-udp") {
		return corev1.ProtocolUDP
	}
	return corev1.ProtocolTCP
}

func TestProbesAndShutdown(t *testing.T) {
	eachOverlay(t, func(t *testing.T, objs []object) {
		for _, w := range workloads(objs) {
			for _, c := range w.Spec.Containers {
				checkProbe(t, w, c, "readiness", c.ReadinessProbe, "/readyz")
				checkProbe(t, w, c, "liveness", c.LivenessProbe, "/healthz")
				if c.StartupProbe != nil {
					checkProbe(t, w, c, "startup", c.StartupProbe, "/healthz")
				}
				if c.Lifecycle != nil && c.Lifecycle.PreStop != nil && c.Lifecycle.PreStop.Exec != nil {
					t.Errorf("%s/%s: exec preStop needs a shell the distroless image lacks (and gets no $(VAR) expansion)", w, c.Name)
				}
			}
		}
	})
}

func checkProbe(t *testing.T, w workload, c corev1.Container, kind string, p *corev1.Probe, path string) {
	t.Helper()
	if p == nil || p.HTTPGet == nil {
		t.Errorf("%s/%s: no HTTP %s probe", w, c.Name, kind)
		return
	}
	if p.HTTPGet.Path != path {
		t.Errorf("%s/%s: %s probe path %q, want %q", w, c.Name, kind, p.HTTPGet.Path, path)
	}
	if cp, ok := containerPort(c, p.HTTPGet.Port, corev1.ProtocolTCP); !ok || cp.Name != "http" {
		t.Errorf("%s/%s: %s probe port %s is not the container's http port", w, c.Name, kind, p.HTTPGet.Port.String())
	}
}

func preStopSleep(c corev1.Container) int64 {
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil {
		return 0
	}
	return c.Lifecycle.PreStop.Sleep.Seconds
}

// TestServicesReachPods checks every Service selects pods and every port it
// targets exists in them with the same protocol.
func TestServicesReachPods(t *testing.T) {
	eachOverlay(t, func(t *testing.T, objs []object) {
		ws := workloads(objs)
		for _, svc := range ofType[*corev1.Service](objs) {
			pods := selected(ws, labels.SelectorFromSet(svc.Spec.Selector))
			if len(pods) == 0 {
				t.Errorf("Service %s selects no pods", svc.Name)
			}
			for _, sp := range svc.Spec.Ports {
				target := sp.TargetPort
				if target.Type == intstr.Int && target.IntVal == 0 {
					target = intstr.FromInt32(sp.Port)
				}
				for _, w := range pods {
					if !anyContainerPort(w, target, sp.Protocol) {
						t.Errorf("Service %s port %q targets %s/%s, which %s does not declare", svc.Name, sp.Name, target.String(), sp.Protocol, w)
					}
				}
			}
		}
		for _, ss := range ofType[*appsv1.StatefulSet](objs) {
			svc := findService(objs, ss.Spec.ServiceName)
			switch {
			case svc == nil:
				t.Errorf("StatefulSet %s: serviceName %q is not rendered", ss.Name, ss.Spec.ServiceName)
			case svc.Spec.ClusterIP != corev1.ClusterIPNone:
				t.Errorf("StatefulSet %s: Service %s must be headless", ss.Name, svc.Name)
			case !svc.Spec.PublishNotReadyAddresses:
				t.Errorf("Service %s must publish not-ready addresses: shards turn ready only after joining through it", svc.Name)
			case !labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(ss.Spec.Template.Labels)):
				t.Errorf("Service %s does not select StatefulSet %s's pods", svc.Name, ss.Name)
			}
		}
	})
}

func anyContainerPort(w workload, p intstr.IntOrString, proto corev1.Protocol) bool {
	for _, c := range w.Spec.Containers {
		if _, ok := containerPort(c, p, proto); ok {
			return true
		}
	}
	return false
}

func findService(objs []object, name string) *corev1.Service {
	for _, s := range ofType[*corev1.Service](objs) {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// TestJoinAddress checks every --join entry names a headless Service (short
// name, or qualified with the namespace) at a port that reaches the selected
// pods' gossip port over both TCP and UDP, as memberlist needs.
func TestJoinAddress(t *testing.T) {
	eachOverlay(t, func(t *testing.T, objs []object) {
		ws := workloads(objs)
		for _, w := range ws {
			for _, c := range w.Spec.Containers {
				set, err := settings(c, testPod, objs)
				if err != nil {
					t.Errorf("%s/%s: %v", w, c.Name, err)
					continue
				}
				if set["join"] == "" {
					t.Errorf("%s/%s: no --join: the node would form a cluster of its own", w, c.Name)
				}
				for _, entry := range strings.Split(set["join"], ",") {
					checkJoin(t, w, c, strings.TrimSpace(entry), objs, ws)
				}
			}
		}
	})
}

func checkJoin(t *testing.T, w workload, c corev1.Container, entry string, objs []object, ws []workload) {
	t.Helper()
	host, port, err := net.SplitHostPort(entry)
	if err != nil {
		t.Errorf("%s/%s: join %q: %v", w, c.Name, entry, err)
		return
	}
	name, rest, _ := strings.Cut(host, ".")
	svc := findService(objs, name)
	if svc == nil || svc.Spec.ClusterIP != corev1.ClusterIPNone {
		t.Errorf("%s/%s: join host %q is not a headless Service", w, c.Name, host)
		return
	}
	if rest != "" && !strings.HasPrefix(rest+".", svc.Namespace+".") {
		t.Errorf("%s/%s: join host %q is not in the Service's namespace %q", w, c.Name, host, svc.Namespace)
	}
	for _, proto := range []corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP} {
		var sp *corev1.ServicePort
		for i := range svc.Spec.Ports {
			if p := svc.Spec.Ports[i]; strconv.Itoa(int(p.Port)) == port && p.Protocol == proto {
				sp = &svc.Spec.Ports[i]
			}
		}
		if sp == nil {
			t.Errorf("%s/%s: Service %s has no %s port %s for gossip", w, c.Name, svc.Name, proto, port)
			continue
		}
		for _, peer := range selected(ws, labels.SelectorFromSet(svc.Spec.Selector)) {
			for _, pc := range peer.Spec.Containers {
				cp, ok := containerPort(pc, sp.TargetPort, proto)
				set, err := settings(pc, testPod, objs)
				if err != nil {
					continue // reported by the peer's own check
				}
				if _, gp, _ := net.SplitHostPort(set["gossip"]); !ok || strconv.Itoa(int(cp.ContainerPort)) != gp {
					t.Errorf("%s/%s: join %s reaches %s port %s/%s, not its --gossip port %s", w, c.Name, entry, peer, sp.TargetPort.String(), proto, gp)
				}
			}
		}
	}
}

// TestStorage checks each overlay gives its shards durable storage: pebble
// on a volume that outlives the pod (and then exactly one shard, since pebble
// belongs to one process), or a PostgreSQL URL from a Secret.
func TestStorage(t *testing.T) {
	eachOverlay(t, func(t *testing.T, objs []object) {
		shards := 0
		for _, w := range workloads(objs) {
			for _, c := range w.Spec.Containers {
				if binary(c) != "shard" {
					continue
				}
				shards++
				set, err := settings(c, testPod, objs)
				if err != nil {
					t.Errorf("%s: %v", w, err)
					continue
				}
				storage := set["storage"]
				switch {
				case strings.HasPrefix(storage, "pebble:"):
					checkPebble(t, w, c, strings.TrimPrefix(storage, "pebble:"))
				case strings.HasPrefix(storage, "postgres://"), strings.HasPrefix(storage, "postgresql://"):
					if !fromSecret(c, "ROOMSHARD_STORAGE") {
						t.Errorf("%s: the PostgreSQL URL carries a password; take ROOMSHARD_STORAGE from a Secret", w)
					}
				default:
					t.Errorf("%s: storage %q is not durable; overlays must choose pebble on a volume or PostgreSQL", w, storage)
				}
			}
		}
		if shards == 0 {
			t.Error("no shard container rendered")
		}
	})
}

func checkPebble(t *testing.T, w workload, c corev1.Container, dir string) {
	t.Helper()
	if w.Replicas == nil || *w.Replicas != 1 {
		t.Errorf("%s: pebble storage is one process's; replicas must be 1", w)
	}
	for _, m := range c.VolumeMounts {
		if dir != m.MountPath && !strings.HasPrefix(dir, strings.TrimSuffix(m.MountPath, "/")+"/") {
			continue
		}
		for _, claim := range w.Claims {
			if claim.Name == m.Name {
				return
			}
		}
		t.Errorf("%s: pebble path %s is on volume %q, which is not a volumeClaimTemplate and dies with the pod", w, dir, m.Name)
		return
	}
	t.Errorf("%s: pebble path %s is on the read-only root filesystem; mount a volume there", w, dir)
}

func fromSecret(c corev1.Container, env string) bool {
	for _, e := range c.Env {
		if e.Name == env {
			return e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil
		}
	}
	return false
}

// TestScalingAndPolicies checks the HPA, PodDisruptionBudgets and
// NetworkPolicies point at real workloads and ports.
func TestScalingAndPolicies(t *testing.T) {
	eachOverlay(t, func(t *testing.T, objs []object) {
		ws := workloads(objs)
		for _, h := range ofType[*autoscalingv2.HorizontalPodAutoscaler](objs) {
			ref := h.Spec.ScaleTargetRef
			i := slices.IndexFunc(ws, func(w workload) bool { return w.Kind == ref.Kind && w.Name == ref.Name })
			if i < 0 {
				t.Errorf("HPA %s scales %s/%s, which is not rendered", h.Name, ref.Kind, ref.Name)
				continue
			}
			if ws[i].Replicas != nil {
				t.Errorf("%s sets replicas, which every apply would reset under HPA %s", ws[i], h.Name)
			}
			if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas < 2 {
				t.Errorf("HPA %s: minReplicas under 2 leaves no gateway during a restart", h.Name)
			}
		}
		covered := map[string]bool{}
		for _, pdb := range ofType[*policyv1.PodDisruptionBudget](objs) {
			sel, err := labelSelector(pdb.Spec.Selector)
			if err != nil {
				t.Errorf("PDB %s: %v", pdb.Name, err)
				continue
			}
			for _, w := range selected(ws, sel) {
				covered[w.String()] = true
			}
		}
		for _, np := range ofType[*networkingv1.NetworkPolicy](objs) {
			sel, err := labelSelector(&np.Spec.PodSelector)
			if err != nil {
				t.Errorf("NetworkPolicy %s: %v", np.Name, err)
				continue
			}
			pods := selected(ws, sel)
			if len(pods) == 0 {
				t.Errorf("NetworkPolicy %s selects no pods", np.Name)
			}
			for _, rule := range np.Spec.Ingress {
				for _, p := range rule.Ports {
					proto := corev1.ProtocolTCP
					if p.Protocol != nil {
						proto = *p.Protocol
					}
					for _, w := range pods {
						if p.Port != nil && !anyContainerPort(w, *p.Port, proto) {
							t.Errorf("NetworkPolicy %s opens %s/%s, which %s does not declare", np.Name, p.Port.String(), proto, w)
						}
					}
				}
			}
			for _, w := range pods {
				covered["netpol "+w.String()] = true
			}
		}
		for _, w := range ws {
			if !covered[w.String()] {
				t.Errorf("%s has no PodDisruptionBudget", w)
			}
			if !covered["netpol "+w.String()] {
				t.Errorf("%s has no NetworkPolicy", w)
			}
		}
	})
}
