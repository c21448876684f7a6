package shard

// Holds reports whether the host holds room id (running or hibernated).
// The shard process uses it with RoomCount to refuse new rooms past its
// --max-rooms while still accepting more gateways into rooms it has.
func (h *Host) Holds(id string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.rooms[id] != nil
}

// Hibernated is how many held rooms have their object evicted
// (hibernated), for the rooms-hibernated gauge. It takes the host's lock
// once and reads each room's flag.
func (h *Host) Hibernated() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, r := range h.rooms {
		if r.hibernated.Load() {
			n++
		}
	}
	return n
}
