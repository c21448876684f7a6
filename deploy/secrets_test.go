package deploy_test

import (
	"crypto/rand"
	"encoding/base64"
	"os"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// withOperatorSecrets adds to a rendered overlay the Secrets deploy/README.md
// tells operators to create: the example Secrets, plus the ones whose
// content must be random and so has no example file.
func withOperatorSecrets(objs, examples []object) []object {
	out := append([]object(nil), objs...)
	for _, e := range examples {
		if e.Kind == "Secret" {
			out = append(out, e)
		}
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	gossip := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "roomshard-gossip", Namespace: "roomshard"},
		StringData: map[string]string{"key": base64.StdEncoding.EncodeToString(key)},
	}
	adminToken := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "roomshard-admin", Namespace: "roomshard"},
		StringData: map[string]string{"token": base64.RawURLEncoding.EncodeToString(key[:16])},
	}
	return append(out,
		object{APIVersion: "v1", Kind: "Secret", Namespace: gossip.Namespace, Name: gossip.Name, Typed: gossip},
		object{APIVersion: "v1", Kind: "Secret", Namespace: adminToken.Namespace, Name: adminToken.Name, Typed: adminToken})
}

// TestSecretsDocumented checks every Secret a pod reads is one the deploy
// guide tells operators to create: the manifests ship no Secrets.
func TestSecretsDocumented(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range overlays(t) {
		objs := render(t, dir)
		for _, s := range ofType[*corev1.Secret](objs) {
			t.Errorf("%s ships Secret %s; credentials belong out of git", dir, s.Name)
		}
		for _, w := range workloads(objs) {
			for _, c := range w.Spec.Containers {
				for _, name := range secretRefs(c) {
					if !strings.Contains(string(readme), "create secret generic "+name) {
						t.Errorf("%s: %s/%s reads Secret %s, which deploy/README.md does not say how to create", dir, w, c.Name, name)
					}
				}
			}
		}
	}
}

func secretRefs(c corev1.Container) []string {
	var names []string
	for _, e := range c.Env {
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			names = append(names, e.ValueFrom.SecretKeyRef.Name)
		}
	}
	for _, f := range c.EnvFrom {
		if f.SecretRef != nil {
			names = append(names, f.SecretRef.Name)
		}
	}
	return names
}
