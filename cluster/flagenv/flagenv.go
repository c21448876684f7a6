package flagenv

import (
	"flag"
	"fmt"
	"strings"
)

// Prefix starts every environment variable name.
const Prefix = "ROOMSHARD_"

// EnvName returns the environment variable for a flag: "hibernate-after"
// becomes "ROOMSHARD_HIBERNATE_AFTER".
func EnvName(flagName string) string {
	return Prefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// Parse parses args into fs, then sets every flag not given in args from
// its environment variable, read through getenv. A repeatable flag takes a
// comma-separated environment value.
func Parse(fs *flag.FlagSet, args []string, getenv func(string) string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if err != nil || given[f.Name] {
			return
		}
		v := getenv(EnvName(f.Name))
		if v == "" {
			return
		}
		if _, repeatable := f.Value.(*Strings); repeatable {
			for _, part := range strings.Split(v, ",") {
				if part = strings.TrimSpace(part); part != "" {
					if e := f.Value.Set(part); e != nil {
						err = fmt.Errorf("flagenv: %s=%q: %w", EnvName(f.Name), v, e)
						return
					}
				}
			}
			return
		}
		if e := fs.Set(f.Name, v); e != nil {
			err = fmt.Errorf("flagenv: %s=%q: %w", EnvName(f.Name), v, e)
		}
	})
	return err
}

// Strings is a repeatable string flag.
type Strings []string

// String implements flag.Value.
func (s *Strings) String() string { return strings.Join(*s, ",") }

// Set implements flag.Value.
func (s *Strings) Set(v string) error {
	*s = append(*s, v)
	return nil
}

// SplitList splits a comma-separated list, dropping empty items.
func SplitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
