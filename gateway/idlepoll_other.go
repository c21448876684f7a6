//go:build !linux

package gateway

// park is not available here: readers wait for their clients themselves.
func (p *idlePoller) park(*client) bool { return false }
