package bench

import (
	"context"
	"time"
)

// ProbeStats says whether every room of a fleet delivers: member 0 of each
// room sent one message and the others (or, for echo, member 0) received it.
type ProbeStats struct {
	Rooms      int     `json:"rooms"`
	RoomsOK    int     `json:"rooms_ok"`
	Expected   uint64  `json:"expected"`
	Delivered  uint64  `json:"delivered"`
	ElapsedSec float64 `json:"elapsed_sec"`
}

// Merge combines probes of disjoint fleets.
func (s *ProbeStats) Merge(o ProbeStats) {
	s.Rooms += o.Rooms
	s.RoomsOK += o.RoomsOK
	s.Expected += o.Expected
	s.Delivered += o.Delivered
	s.ElapsedSec = max(s.ElapsedSec, o.ElapsedSec)
}

// expectedPerRoom is how many deliveries one message from member 0 yields in
// its room.
func (f *Fleet) expectedPerRoom() uint64 {
	others, self := f.cfg.Target.Frames(f.cfg.Class)
	if f.cfg.Class == ClassEcho {
		return uint64(self)
	}
	return uint64((f.cfg.PerRoom - 1) * others)
}

// Probe sends one message from member 0 of every room and waits up to
// timeout until every room has delivered it. It must not run concurrently
// with other traffic on the same fleet.
func (f *Fleet) Probe(ctx context.Context, timeout time.Duration) ProbeStats {
	start := time.Now()
	per := f.expectedPerRoom()
	rooms := len(f.cfg.Rooms)
	base := make([]uint64, rooms)
	sent := make([]bool, rooms)
	for r := range rooms {
		base[r] = f.RoomDeliveries(r)
		_, err := f.members[r*f.cfg.PerRoom].Send()
		sent[r] = err == nil
	}
	st := ProbeStats{Rooms: rooms, Expected: per * uint64(rooms)}
	deadline := time.Now().Add(timeout)
	for {
		st.RoomsOK, st.Delivered = 0, 0
		for r := range rooms {
			got := f.RoomDeliveries(r) - base[r]
			st.Delivered += min(got, per)
			if sent[r] && got >= per {
				st.RoomsOK++
			}
		}
		if st.RoomsOK == st.Rooms || time.Now().After(deadline) || !sleepCtx(ctx, 10*time.Millisecond) {
			st.ElapsedSec = time.Since(start).Seconds()
			return st
		}
	}
}
