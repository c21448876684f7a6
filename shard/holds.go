package shard

// Holds reports whether the host holds room id (running or hibernated).
// The shard process uses it with RoomCount to refuse new rooms past its
// --max-rooms while still accepting more gateways into rooms it has.
func (h *Host) Holds(id string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.rooms[id] != nil
}
