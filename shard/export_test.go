package shard

// RoomRunning is a test hook: whether a goroutine runs room id now, and
// whether the host holds the room at all.
func RoomRunning(h *Host, id string) (running, held bool) {
	r := h.room(id)
	if r == nil {
		return false, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.running, true
}
