package postgres

import (
	"net"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// tcpUserTimeout and tcpKeepAlive bound how long a connection to a server
// that stopped answering (partition, frozen host) looks alive: a query on
// it fails after about this long instead of hanging the room that made it,
// and the pool replaces the connection.
const (
	tcpUserTimeout = 5 * time.Second
	tcpKeepAlive   = 5 * time.Second
)

// idleInTransactionTimeout is the session default for
// idle_in_transaction_session_timeout (milliseconds).
//
// A shard that stops talking in the middle of a transaction (SIGSTOP, a
// network partition, a hung host) keeps the rows it locked, among them the
// room's lease row, for as long as the server believes the session alive:
// with a live TCP connection, forever. The room's new owner would then
// wait on that lock to take the lease, and the room would stay down. The
// server aborting a transaction left idle this long releases the locks;
// the stalled shard's commit then fails, and its lease is fenced anyway.
// Our transactions send their statements back to back, so a healthy shard
// is rarely idle even this long inside one; when a loaded one is, the
// commit fails and the room reloads (its clients see no reply, not a
// disconnect). It is short because it adds to failover: a shard frozen
// mid-commit holds its rooms' lease rows until then, and membership needs
// about 1.5 s to move the rooms anyway. A URL that sets the parameter (for
// example to 0, off) wins.
const idleInTransactionTimeout = "1000"

// setSessionDefaults fills the session parameters roomshard relies on,
// and names node's sessions, unless the URL set them, and dials with
// tcpUserTimeout and tcpKeepAlive.
func setSessionDefaults(c *pgxpool.Config, node string) {
	d := &net.Dialer{KeepAlive: tcpKeepAlive, Control: setUserTimeout}
	c.ConnConfig.DialFunc = d.DialContext
	params := c.ConnConfig.RuntimeParams
	if _, ok := params["idle_in_transaction_session_timeout"]; !ok {
		params["idle_in_transaction_session_timeout"] = idleInTransactionTimeout
	}
	if _, ok := params["application_name"]; !ok && node != "" {
		params["application_name"] = ApplicationName(node)
	}
}
