package postgres

import (
	"time"

	"github.com/roomshard/roomshard/shard/storage"
)

// Config describes a postgres store. Zero fields take the defaults
// documented on each.
type Config struct {
	// URL is a postgres:// or postgresql:// connection URL; pgxpool's
	// pool_* query parameters (pool_max_conns, ...) apply. Required.
	URL string
	// GroupCommit configures how concurrent commits share a transaction.
	// Default: grouping on, see storage.GroupCommit.
	GroupCommit storage.GroupCommit
	// CommitTimeout bounds one group's transaction, retries included.
	// Default 30s.
	CommitTimeout time.Duration
	// Node is the shard's name. Its sessions carry it as application_name
	// ("roomshard shard NAME", unless the URL sets one), so that
	// pg_stat_activity, the server's logs and audits tell the shards apart.
	Node string
}

// ApplicationName is the application_name of node's sessions.
func ApplicationName(node string) string { return "roomshard shard " + node }

const defaultCommitTimeout = 30 * time.Second

func (c *Config) ensureDefaults() {
	if c.CommitTimeout <= 0 {
		c.CommitTimeout = defaultCommitTimeout
	}
}
