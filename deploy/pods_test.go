package deploy_test

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// ofType returns the objects whose typed value is a T, in render order.
func ofType[T any](objs []object) []T {
	var out []T
	for _, o := range objs {
		if v, ok := o.Typed.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

// workload is a pod template with the object that owns it.
type workload struct {
	Kind, Name string
	Labels     map[string]string
	Spec       *corev1.PodSpec
	// Claims are a StatefulSet's volumeClaimTemplates: volumes that outlive
	// the pod.
	Claims []corev1.PersistentVolumeClaim
	// Replicas is nil when unset (a Deployment scaled by an HPA).
	Replicas *int32
}

func (w workload) String() string { return w.Kind + "/" + w.Name }

func workloads(objs []object) []workload {
	var out []workload
	for _, s := range ofType[*appsv1.StatefulSet](objs) {
		out = append(out, workload{"StatefulSet", s.Name, s.Spec.Template.Labels, &s.Spec.Template.Spec, s.Spec.VolumeClaimTemplates, s.Spec.Replicas})
	}
	for _, d := range ofType[*appsv1.Deployment](objs) {
		out = append(out, workload{"Deployment", d.Name, d.Spec.Template.Labels, &d.Spec.Template.Spec, nil, d.Spec.Replicas})
	}
	return out
}

// selected returns the workloads whose pods sel matches.
func selected(ws []workload, sel labels.Selector) []workload {
	var out []workload
	for _, w := range ws {
		if !sel.Empty() && sel.Matches(labels.Set(w.Labels)) {
			out = append(out, w)
		}
	}
	return out
}

func labelSelector(ls *metav1.LabelSelector) (labels.Selector, error) {
	return metav1.LabelSelectorAsSelector(ls)
}

// binary names the roomshard binary a container runs, from its command.
func binary(c corev1.Container) string {
	if len(c.Command) == 0 {
		return ""
	}
	return path.Base(c.Command[0])
}

// containerPort finds the port a Service targetPort or a probe port names,
// by name or number, with the given protocol ("" means TCP).
func containerPort(c corev1.Container, p intstr.IntOrString, proto corev1.Protocol) (corev1.ContainerPort, bool) {
	if proto == "" {
		proto = corev1.ProtocolTCP
	}
	for _, cp := range c.Ports {
		pp := cp.Protocol
		if pp == "" {
			pp = corev1.ProtocolTCP
		}
		if pp != proto {
			continue
		}
		if (p.Type == intstr.String && cp.Name == p.StrVal) || (p.Type == intstr.Int && cp.ContainerPort == p.IntVal) {
			return cp, true
		}
	}
	return corev1.ContainerPort{}, false
}

// fakePod stands in for the values the kubelet and the downward API give a
// real pod.
type fakePod struct {
	Name, Namespace, IP string
}

// envVar is one resolved environment variable of a container.
type envVar struct {
	Name, Value string
}

var varRef = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

// expand replaces $(VAR) the way the kubelet does: only variables already
// defined are replaced; anything else is left as written, which in a real pod
// silently yields a literal "$(VAR)", so it is reported.
func expand(s string, defined map[string]string) (string, error) {
	var missing []string
	out := varRef.ReplaceAllStringFunc(s, func(m string) string {
		name := varRef.FindStringSubmatch(m)[1]
		v, ok := defined[name]
		if !ok {
			missing = append(missing, name)
			return m
		}
		return v
	})
	if len(missing) > 0 {
		return out, fmt.Errorf("%q refers to %v, not defined before it", s, missing)
	}
	return out, nil
}

// podEnv resolves a container's environment as the kubelet would: envFrom
// first, then env in order, each value expanding variables defined before
// it. ConfigMaps and Secrets are looked up in objs.
func podEnv(c corev1.Container, pod fakePod, objs []object) ([]envVar, error) {
	var env []envVar
	defined := map[string]string{}
	set := func(name, value string) {
		for i := range env {
			if env[i].Name == name {
				env[i].Value = value
				defined[name] = value
				return
			}
		}
		env = append(env, envVar{name, value})
		defined[name] = value
	}
	for _, from := range c.EnvFrom {
		data, err := sourceData(from, objs)
		if err != nil {
			return nil, err
		}
		for k, v := range data {
			set(from.Prefix+k, v)
		}
	}
	for _, e := range c.Env {
		v, err := envValue(e, pod, objs)
		if errors.Is(err, errOptionalMissing) {
			continue // the kubelet leaves the variable unset
		}
		if err != nil {
			return nil, fmt.Errorf("env %s: %w", e.Name, err)
		}
		if e.ValueFrom == nil {
			if v, err = expand(v, defined); err != nil {
				return nil, fmt.Errorf("env %s: %w", e.Name, err)
			}
		}
		set(e.Name, v)
	}
	return env, nil
}

func sourceData(from corev1.EnvFromSource, objs []object) (map[string]string, error) {
	switch {
	case from.ConfigMapRef != nil:
		cm, err := findConfigMap(objs, from.ConfigMapRef.Name)
		if err != nil {
			return nil, err
		}
		return cm.Data, nil
	case from.SecretRef != nil:
		s, err := findSecret(objs, from.SecretRef.Name)
		if err != nil {
			return nil, err
		}
		return secretData(s), nil
	}
	return nil, fmt.Errorf("envFrom without a source")
}

func envValue(e corev1.EnvVar, pod fakePod, objs []object) (string, error) {
	vf := e.ValueFrom
	switch {
	case vf == nil:
		return e.Value, nil
	case vf.FieldRef != nil:
		switch vf.FieldRef.FieldPath {
		case "metadata.name":
			return pod.Name, nil
		case "metadata.namespace":
			return pod.Namespace, nil
		case "status.podIP":
			return pod.IP, nil
		}
		return "", fmt.Errorf("unsupported fieldRef %q", vf.FieldRef.FieldPath)
	case vf.ConfigMapKeyRef != nil:
		cm, err := findConfigMap(objs, vf.ConfigMapKeyRef.Name)
		if err != nil {
			return "", err
		}
		v, ok := cm.Data[vf.ConfigMapKeyRef.Key]
		if !ok {
			return "", fmt.Errorf("ConfigMap %s has no key %q", cm.Name, vf.ConfigMapKeyRef.Key)
		}
		return v, nil
	case vf.SecretKeyRef != nil:
		ref := vf.SecretKeyRef
		s, err := findSecret(objs, ref.Name)
		if err != nil && ref.Optional != nil && *ref.Optional {
			return "", errOptionalMissing
		}
		if err != nil {
			return "", err
		}
		v, ok := secretData(s)[ref.Key]
		if !ok && ref.Optional != nil && *ref.Optional {
			return "", errOptionalMissing
		}
		if !ok {
			return "", fmt.Errorf("Secret %s has no key %q", s.Name, vf.SecretKeyRef.Key)
		}
		return v, nil
	}
	return "", fmt.Errorf("unsupported valueFrom")
}

// errOptionalMissing reports an optional reference to a missing Secret key.
var errOptionalMissing = errors.New("optional reference not present")

func findConfigMap(objs []object, name string) (*corev1.ConfigMap, error) {
	for _, cm := range ofType[*corev1.ConfigMap](objs) {
		if cm.Name == name {
			return cm, nil
		}
	}
	return nil, fmt.Errorf("no ConfigMap %q", name)
}

func findSecret(objs []object, name string) (*corev1.Secret, error) {
	for _, s := range ofType[*corev1.Secret](objs) {
		if s.Name == name {
			return s, nil
		}
	}
	return nil, fmt.Errorf("no Secret %q in the overlay or in %s", name, examplesDir)
}

func secretData(s *corev1.Secret) map[string]string {
	out := map[string]string{}
	for k, v := range s.Data {
		out[k] = string(v)
	}
	for k, v := range s.StringData {
		out[k] = v
	}
	return out
}

// commandArgs returns the container's args with $(VAR) expanded from env.
func commandArgs(c corev1.Container, env []envVar) ([]string, error) {
	defined := map[string]string{}
	for _, e := range env {
		defined[e.Name] = e.Value
	}
	var out []string
	for _, a := range c.Args {
		v, err := expand(a, defined)
		if err != nil {
			return nil, fmt.Errorf("arg: %w", err)
		}
		out = append(out, v)
	}
	return out, nil
}

// settings gathers a container's effective roomshard settings by flag
// name: ROOMSHARD_* variables, then --flag args (which win, as in the
// binaries). Values are resolved for pod.
func settings(c corev1.Container, pod fakePod, objs []object) (map[string]string, error) {
	env, err := podEnv(c, pod, objs)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, e := range env {
		if f, ok := flagOfEnv(e.Name); ok {
			out[f] = e.Value
		}
	}
	args, err := commandArgs(c, env)
	if err != nil {
		return nil, err
	}
	for _, a := range args {
		name, value, ok := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if ok && strings.HasPrefix(a, "-") {
			out[name] = value
		}
	}
	return out, nil
}

// flagOfEnv maps ROOMSHARD_HIBERNATE_AFTER to hibernate-after.
func flagOfEnv(name string) (string, bool) {
	rest, ok := strings.CutPrefix(name, "ROOMSHARD_")
	if !ok {
		return "", false
	}
	return strings.ToLower(strings.ReplaceAll(rest, "_", "-")), true
}
