package deploy_test

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// TestExamplesMatchOverlays checks the stand-alone examples refer to what the
// overlays render: the ServiceMonitor to Services with its port, the Ingress
// to the gateway Service, the example Secret to the overlay's namespace.
func TestExamplesMatchOverlays(t *testing.T) {
	examples := readExamples(t)
	for _, dir := range overlays(t) {
		objs := render(t, dir)
		services := ofType[*corev1.Service](objs)
		for _, e := range examples {
			if e.Namespace != "" && e.Namespace != services[0].Namespace {
				t.Errorf("%s: example %s is in namespace %q, the overlay in %q", dir, e, e.Namespace, services[0].Namespace)
			}
		}
		for _, sm := range ofType[*serviceMonitor](examples) {
			sel, err := labelSelector(&sm.Spec.Selector)
			if err != nil {
				t.Fatal(err)
			}
			for _, ep := range sm.Spec.Endpoints {
				scraped := 0
				for _, svc := range services {
					if sel.Matches(labels.Set(svc.Labels)) && hasServicePort(svc, ep.Port) {
						scraped++
					}
				}
				// Gateways and shards both serve /metrics; both must be found.
				if scraped < 2 {
					t.Errorf("%s: ServiceMonitor %s port %q matches %d Services, want the gateway's and the shards'", dir, sm.Name, ep.Port, scraped)
				}
			}
		}
		for _, ing := range ofType[*networkingv1.Ingress](examples) {
			for _, rule := range ing.Spec.Rules {
				for _, p := range rule.HTTP.Paths {
					b := p.Backend.Service
					svc := findService(objs, b.Name)
					if svc == nil || !hasServicePort(svc, b.Port.Name) {
						t.Errorf("%s: Ingress %s path %s goes to Service %s port %q, which is not rendered", dir, ing.Name, p.Path, b.Name, b.Port.Name)
					}
				}
			}
		}
	}
}

func hasServicePort(svc *corev1.Service, name string) bool {
	for _, p := range svc.Spec.Ports {
		if p.Name == name {
			return true
		}
	}
	return false
}
