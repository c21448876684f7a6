package shard

import (
	"fmt"
	"sort"
	"strings"
)

// Bind maps namespaces to classes: every class is bound to a namespace of
// its own name, and each binding "NAME=CLASS" binds NAME to the class
// named CLASS. Names must be non-empty and free of '=', ',' and spaces.
func Bind(classes []Class, bindings []string) (map[string]Class, error) {
	byName := make(map[string]Class, len(classes))
	out := make(map[string]Class, len(classes)+len(bindings))
	for _, c := range classes {
		if err := checkBindName(c.Name); err != nil {
			return nil, err
		}
		if c.New == nil {
			return nil, fmt.Errorf("%w: class %q has no constructor", ErrBadBinding, c.Name)
		}
		if _, dup := byName[c.Name]; dup {
			return nil, fmt.Errorf("%w: class %q registered twice", ErrBadBinding, c.Name)
		}
		byName[c.Name] = c
		out[c.Name] = c
	}
	for _, b := range bindings {
		ns, cls, ok := strings.Cut(b, "=")
		if !ok {
			return nil, fmt.Errorf("%w: %q: want NAME=CLASS", ErrBadBinding, b)
		}
		if err := checkBindName(ns); err != nil {
			return nil, err
		}
		c, ok := byName[cls]
		if !ok {
			return nil, fmt.Errorf("%w: %q: no class %q", ErrBadBinding, b, cls)
		}
		out[ns] = c
	}
	return out, nil
}

// BindingList returns "ns=class" for every namespace, sorted: what a shard
// gossips in its metadata.
func BindingList(namespaces map[string]Class) []string {
	out := make([]string, 0, len(namespaces))
	for ns, c := range namespaces {
		out = append(out, ns+"="+c.Name)
	}
	sort.Strings(out)
	return out
}

func checkBindName(n string) error {
	if n == "" || strings.ContainsAny(n, "=, \t\n") {
		return fmt.Errorf("%w: name %q must be non-empty without '=', ',' or spaces", ErrBadBinding, n)
	}
	return nil
}
