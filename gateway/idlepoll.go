package gateway

import "sync"

// idlePoller holds the sockets of idle clients, so that an idle client
// keeps no reader goroutine: its reader parks the socket here and returns,
// and the poller starts a reader again (client.resume) when the socket has
// something to read, or when the connection ends (unpark). A reader parks
// only after its client has sent nothing for readerLinger, so clients in
// conversation keep their reader.
//
// Its zero value is ready. Its one goroutine runs only while sockets are
// parked and exits soon after the last one leaves, closing its epoll
// descriptor, so it needs no owner beyond the clients that park: a gateway
// whose clients have all gone has no poller goroutine left.
type idlePoller struct {
	mu      sync.Mutex
	epfd    int                // the epoll descriptor, open while running
	parked  map[uint64]*client // by token
	next    uint64             // the last token given out
	running bool               // the wait goroutine runs and epfd is open
}

// take removes the client parked under tok and returns it, or nil when it
// is no longer parked. Whoever takes a client must start its reader: a
// client is taken once.
func (p *idlePoller) take(tok uint64) *client {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.parked[tok]
	if c != nil {
		delete(p.parked, tok)
		c.parkTok = 0
	}
	return c
}

// unpark starts the reader of a client whose connection has been closed
// while its socket was parked: closing the socket drops it from the epoll
// set, so the poller would never report it, and the reader must see the
// end to report the client gone.
func (c *client) unpark() {
	p := &c.limits.idle
	p.mu.Lock()
	tok := c.parkTok
	p.mu.Unlock()
	if tok != 0 {
		if c := p.take(tok); c != nil {
			go c.resume()
		}
	}
}
