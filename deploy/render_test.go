package deploy_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// object is one rendered Kubernetes object, decoded strictly into its type.
type object struct {
	APIVersion, Kind, Namespace, Name string
	// Typed is a pointer to the k8s.io/api struct (or a local one, for
	// kinds k8s.io/api lacks).
	Typed any
}

func (o object) String() string { return o.Kind + "/" + o.Name }

// apiTypes maps "apiVersion Kind" to a constructor of the Go type an object
// must decode into. A kind missing here fails the test: a manifest the test
// cannot check strictly is a manifest nobody checks.
var apiTypes = map[string]func() any{
	"v1 Namespace":                            func() any { return new(corev1.Namespace) },
	"v1 ServiceAccount":                       func() any { return new(corev1.ServiceAccount) },
	"v1 Service":                              func() any { return new(corev1.Service) },
	"v1 ConfigMap":                            func() any { return new(corev1.ConfigMap) },
	"v1 Secret":                               func() any { return new(corev1.Secret) },
	"v1 PersistentVolumeClaim":                func() any { return new(corev1.PersistentVolumeClaim) },
	"apps/v1 StatefulSet":                     func() any { return new(appsv1.StatefulSet) },
	"apps/v1 Deployment":                      func() any { return new(appsv1.Deployment) },
	"policy/v1 PodDisruptionBudget":           func() any { return new(policyv1.PodDisruptionBudget) },
	"autoscaling/v2 HorizontalPodAutoscaler":  func() any { return new(autoscalingv2.HorizontalPodAutoscaler) },
	"networking.k8s.io/v1 NetworkPolicy":      func() any { return new(networkingv1.NetworkPolicy) },
	"networking.k8s.io/v1 Ingress":            func() any { return new(networkingv1.Ingress) },
	"monitoring.coreos.com/v1 ServiceMonitor": func() any { return new(serviceMonitor) },
}

// serviceMonitor is the part of the Prometheus Operator's ServiceMonitor the
// example uses; k8s.io/api does not define it. Strict decoding still catches
// a misspelled field among these.
type serviceMonitor struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Selector          metav1.LabelSelector `json:"selector"`
		NamespaceSelector struct {
			Any        bool     `json:"any,omitempty"`
			MatchNames []string `json:"matchNames,omitempty"`
		} `json:"namespaceSelector"`
		Endpoints []struct {
			Port     string `json:"port"`
			Path     string `json:"path,omitempty"`
			Interval string `json:"interval,omitempty"`
			Scheme   string `json:"scheme,omitempty"`
		} `json:"endpoints"`
	} `json:"spec"`
}

const (
	kubeDir     = "kubernetes"
	baseDir     = "kubernetes/base"
	overlaysDir = "kubernetes/overlays"
	examplesDir = "kubernetes/examples"
)

// overlays lists every directory under kubernetes/overlays, so a new overlay
// is tested without anyone remembering to add it here.
func overlays(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(overlaysDir)
	if err != nil {
		t.Fatalf("listing overlays: %v", err)
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, filepath.Join(overlaysDir, e.Name()))
		}
	}
	if len(dirs) == 0 {
		t.Fatalf("no overlays under %s", overlaysDir)
	}
	return dirs
}

// render runs kustomize on dir, as `kubectl apply -k dir` would, and
// decodes every resulting object strictly.
func render(t *testing.T, dir string) []object {
	t.Helper()
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	rm, err := k.Run(filesys.MakeFsOnDisk(), abs)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	var objs []object
	for _, r := range rm.Resources() {
		data, err := r.MarshalJSON()
		if err != nil {
			t.Fatalf("%s: %s/%s: %v", dir, r.GetKind(), r.GetName(), err)
		}
		o, err := decodeStrict(data)
		if err != nil {
			t.Errorf("%s: %v", dir, err)
			continue
		}
		objs = append(objs, o)
	}
	return objs
}

// decodeStrict decodes one object's JSON into its API type, failing on
// unknown or duplicate fields (field names match case-sensitively, as the
// API server's strict decoding does).
func decodeStrict(data []byte) (object, error) {
	var tm struct {
		APIVersion string            `json:"apiVersion"`
		Kind       string            `json:"kind"`
		Metadata   metav1.ObjectMeta `json:"metadata"`
	}
	if err := kjson.UnmarshalCaseSensitivePreserveInts(data, &tm); err != nil {
		return object{}, fmt.Errorf("reading type: %w", err)
	}
	o := object{APIVersion: tm.APIVersion, Kind: tm.Kind, Namespace: tm.Metadata.Namespace, Name: tm.Metadata.Name}
	mk, ok := apiTypes[tm.APIVersion+" "+tm.Kind]
	if !ok {
		return o, fmt.Errorf("%s: no strict Go type for %q %q: add one to apiTypes", o, tm.APIVersion, tm.Kind)
	}
	o.Typed = mk()
	strict, err := kjson.UnmarshalStrict(data, o.Typed, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	if err != nil {
		return o, fmt.Errorf("%s: %w", o, err)
	}
	if len(strict) > 0 {
		return o, fmt.Errorf("%s: %v", o, strict)
	}
	return o, nil
}

// readExamples decodes every YAML file under kubernetes/examples: they are
// applied by hand, outside any kustomization, so they are checked here.
func readExamples(t *testing.T) []object {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(examplesDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples in %s (%v)", examplesDir, err)
	}
	sort.Strings(files)
	var objs []object
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range strings.Split(string(raw), "\n---\n") {
			if strings.TrimSpace(doc) == "" {
				continue
			}
			data, err := yaml.YAMLToJSONStrict([]byte(doc))
			if err != nil {
				t.Errorf("%s document %d: %v", f, i, err)
				continue
			}
			o, err := decodeStrict(data)
			if err != nil {
				t.Errorf("%s: %v", f, err)
				continue
			}
			objs = append(objs, o)
		}
	}
	return objs
}

// TestRenderStrict renders the base and every overlay and decodes every
// object strictly; it also decodes the stand-alone examples.
func TestRenderStrict(t *testing.T) {
	dirs := append([]string{baseDir}, overlays(t)...)
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			objs := render(t, dir)
			if len(objs) == 0 {
				t.Fatalf("%s renders nothing", dir)
			}
			for _, o := range objs {
				if o.Kind != "Namespace" && o.Namespace == "" {
					t.Errorf("%s has no namespace", o)
				}
			}
		})
	}
	t.Run("examples", func(t *testing.T) { readExamples(t) })
}

// TestDecodeStrictRejects guards the guard: strict decoding must refuse
// what the API server would refuse or silently drop.
func TestDecodeStrictRejects(t *testing.T) {
	for name, doc := range map[string]string{
		"unknown field":   `{"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"s"},"spec":{"replica":1}}`,
		"wrong case":      `{"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"s"},"spec":{"Replicas":1}}`,
		"duplicate field": `{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"},"spec":{"clusterIP":"None","clusterIP":"None"}}`,
		"nested unknown":  `{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"},"spec":{"ports":[{"port":1,"targetport":1}]}}`,
		"unknown kind":    `{"apiVersion":"v1","kind":"Frobnicator","metadata":{"name":"s"}}`,
	} {
		if _, err := decodeStrict([]byte(doc)); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
}
