package postgres

import "errors"

var (
	// ErrNoURL reports a Config without a URL.
	ErrNoURL = errors.New("postgres storage: connection URL is empty")
	// ErrSchemaTooNew reports a database migrated by a newer roomshard.
	ErrSchemaTooNew = errors.New("postgres storage: database schema is newer than this build")
)
