//go:build linux

package gateway

import (
	"errors"
	"syscall"
)

// idlePollTimeout is how long the poller waits before checking whether
// any socket is still parked, in ms: it bounds how long an idle poller
// outlives its last client.
const idlePollTimeout = 500

// park adds c's socket to the epoll set, one-shot: the first readiness
// (data, the peer's close, an error) takes it out again. False when it
// cannot be parked; the reader then keeps waiting itself.
func (p *idlePoller) park(c *client) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.running {
		epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
		if err != nil {
			return false
		}
		if p.parked == nil {
			p.parked = map[uint64]*client{}
		}
		p.epfd, p.running = epfd, true
		go p.wait(epfd)
	}
	p.next++
	tok := p.next
	ev := syscall.EpollEvent{
		Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT,
		Fd:     int32(uint32(tok)),
		Pad:    int32(uint32(tok >> 32)),
	}
	var ctlErr error
	// Control fails once the connection is closed, so a socket closed
	// before it parks is never added (unpark could not find it).
	err := c.raw.raw.Control(func(fd uintptr) {
		ctlErr = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_ADD, int(fd), &ev)
		if errors.Is(ctlErr, syscall.EEXIST) {
			// Parked before: one-shot left it in the set, disarmed.
			ctlErr = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_MOD, int(fd), &ev)
		}
	})
	if err != nil || ctlErr != nil {
		return false
	}
	p.parked[tok] = c
	c.parkTok = tok
	return true
}

// wait is the poller's goroutine: it starts the reader of each parked
// socket that becomes readable, and exits once none is parked.
func (p *idlePoller) wait(epfd int) {
	var events [128]syscall.EpollEvent
	for {
		n, err := syscall.EpollWait(epfd, events[:], idlePollTimeout)
		if err != nil && !errors.Is(err, syscall.EINTR) {
			p.fail(epfd)
			return
		}
		for i := range max(n, 0) {
			tok := uint64(uint32(events[i].Fd)) | uint64(uint32(events[i].Pad))<<32
			if c := p.take(tok); c != nil {
				go c.resume()
			}
		}
		if n == 0 && p.stopIfEmpty(epfd) {
			return
		}
	}
}

// stopIfEmpty ends the poller when nothing is parked.
func (p *idlePoller) stopIfEmpty(epfd int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.parked) > 0 {
		return false
	}
	p.running = false
	_ = syscall.Close(epfd)
	return true
}

// fail ends a poller whose epoll descriptor failed, handing every parked
// client back to a reader of its own (which parks again in a new poller).
func (p *idlePoller) fail(epfd int) {
	p.mu.Lock()
	cs := make([]*client, 0, len(p.parked))
	for tok, c := range p.parked {
		delete(p.parked, tok)
		c.parkTok = 0
		cs = append(cs, c)
	}
	p.running = false
	_ = syscall.Close(epfd)
	p.mu.Unlock()
	for _, c := range cs {
		go c.resume()
	}
}
