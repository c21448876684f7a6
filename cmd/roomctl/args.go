package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"
)

// usageError is a mistake on the command line: exit code 2 and usage text.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// isUsage reports whether err is a command-line mistake.
func isUsage(err error) bool {
	var u *usageError
	return errors.As(err, &u)
}

// splitFlag reads "-name", "--name" or "--name=value". ok is false for an
// argument that is not a flag ("-" alone, or not starting with "-").
func splitFlag(arg string) (name, value string, hasValue, ok bool) {
	if len(arg) < 2 || arg[0] != '-' {
		return "", "", false, false
	}
	name = strings.TrimPrefix(arg[1:], "-")
	if name == "" || name[0] == '-' || name[0] == '=' {
		return "", "", false, false
	}
	name, value, hasValue = strings.Cut(name, "=")
	return name, value, hasValue, true
}

// isBoolFlag reports whether f takes no value.
func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// parseInterleaved sets on fs every flag found anywhere in args and returns
// the other arguments in order. The standard flag package stops at the
// first positional argument; roomctl lets flags follow them
// (`roomctl locate chat lobby --addr host:7000`). A flag's value follows
// "=" or, for a non-boolean flag, is the next argument. "--" ends the
// flags: everything after it is positional.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			return append(positional, args[i+1:]...), nil
		}
		name, value, hasValue, ok := splitFlag(arg)
		if !ok {
			positional = append(positional, arg)
			continue
		}
		f := fs.Lookup(name)
		if f == nil {
			return nil, usagef("unknown flag %s (a value starting with - goes after --)", arg)
		}
		if !hasValue {
			if isBoolFlag(f) {
				value = "true"
			} else {
				if i+1 >= len(args) {
					return nil, usagef("flag %s needs a value", arg)
				}
				i++
				value = args[i]
			}
		}
		if err := fs.Set(name, value); err != nil {
			return nil, usagef("flag %s: %v", arg, err)
		}
	}
	return positional, nil
}

// findCommand returns the index of the first positional argument in args,
// skipping the flags fs knows with their values, or -1 when there is none.
// Only fs's flags may come before the command.
func findCommand(fs *flag.FlagSet, args []string) (int, error) {
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			if i+1 < len(args) {
				return i + 1, nil
			}
			return -1, nil
		}
		name, _, hasValue, ok := splitFlag(arg)
		if !ok {
			return i, nil
		}
		f := fs.Lookup(name)
		if f == nil {
			return -1, usagef("unknown flag %s before the command", arg)
		}
		if !hasValue && !isBoolFlag(f) {
			i++
		}
	}
	return -1, nil
}
