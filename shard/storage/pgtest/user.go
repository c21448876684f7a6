package pgtest

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"syscall"
)

// Users postgres runs as under root: nobody, else our own, created with
// useradd when missing.
const (
	nobodyUser = "nobody"
	ownUser    = "roomshard-test"
)

// serverCredential returns the credential to run postgres with: nil when
// not root (run as ourselves), else an unprivileged user's.
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{nobodyUser, ownUser} {
		if u, err := user.Lookup(name); err == nil {
			return credentialOf(u)
		}
	}
	name := ownUser
	out, err := exec.Command("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("pgtest: running as root and no unprivileged user for postgres; useradd %s: %w: %s", name, err, out)
	}
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("pgtest: looking up the new user %s: %w", name, err)
	}
	return credentialOf(u)
}

func credentialOf(u *user.User) (*syscall.Credential, error) {
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("pgtest: uid of %s: %w", u.Username, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("pgtest: gid of %s: %w", u.Username, err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
}
