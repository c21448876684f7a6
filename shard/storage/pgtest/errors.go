package pgtest

import "errors"

// ErrNoBinaries reports that the PostgreSQL server binaries are missing.
var ErrNoBinaries = errors.New("pgtest: PostgreSQL server binaries not found (initdb/postgres); install Debian's postgresql package")
