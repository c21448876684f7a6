package gateway

import (
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
)

// stream is one room stream of a room actor, carried by the Link to its
// shard (link.go). The actor owns it: stop ends it and waits for the one
// goroutine a stream may have, a feeder that hands shard frames to a busy
// actor. Reports reach the actor only through streamSink, tagged with the
// stream so a stale stream's reports are ignored.
type stream struct {
	gen  uint64
	addr string
	id   uint64 // the stream's id on its Link
	l    *link
	sink streamSink
	out  *outbox
	// stopping is closed by stop, so reports the actor no longer wants are
	// dropped instead of blocking a goroutine the actor is waiting for.
	stopping chan struct{}
	stopOnce sync.Once

	queued bool // on l.ready; guarded by l.mu
	ended  bool // the shard ended it; guarded by l.mu

	// protects backlog and feeding; feeders is added to only under mu
	// while stopping is open
	mu      sync.Mutex
	backlog []shardStep
	feeding bool
	feeders sync.WaitGroup
}

// shardStep is what the shard sent one stream: frames, or its end.
type shardStep struct {
	frames []*roomshardv1.ShardFrame
	end    bool
	err    error // the end's status, nil for a normal end
}

// streamSink is how a stream reports to its room actor. frames and ended
// block until the actor takes the report or s.stopping is closed; frames
// returns false in the latter case. offer never blocks: it returns false
// when the actor's inbox is full.
type streamSink interface {
	offer(s *stream, fs []*roomshardv1.ShardFrame) bool
	frames(s *stream, fs []*roomshardv1.ShardFrame) bool
	ended(s *stream, err error)
}

// stop ends the stream: the shard is told to drop it unless it already
// ended it, and stop waits until no goroutine reports for it any more.
// Frames the Link has not taken stay in s.out for the actor to keep.
func (s *stream) stop() {
	s.stopOnce.Do(func() { close(s.stopping) })
	s.l.remove(s)
	// Any deliver that saw stopping open has finished adding to feeders.
	s.mu.Lock()
	s.mu.Unlock() //nolint:staticcheck // an empty critical section is the barrier
	s.feeders.Wait()
}

func (s *stream) isStopping() bool {
	select {
	case <-s.stopping:
		return true
	default:
		return false
	}
}

// deliver passes what the shard sent to the actor: straight into its
// inbox when nothing waits before it and there is space, else through a
// feeder goroutine that waits for the actor, so one busy room holds up no
// other room on the Link.
func (s *stream) deliver(step shardStep) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.isStopping() {
		return
	}
	if !s.feeding && !step.end && s.sink.offer(s, step.frames) {
		return
	}
	s.backlog = append(s.backlog, step)
	if !s.feeding {
		s.feeding = true
		s.feeders.Add(1)
		go s.feed()
	}
}

func (s *stream) feed() {
	defer s.feeders.Done()
	for {
		s.mu.Lock()
		if len(s.backlog) == 0 {
			s.backlog = nil
			s.feeding = false
			s.mu.Unlock()
			return
		}
		step := s.backlog[0]
		s.backlog[0] = shardStep{}
		s.backlog = s.backlog[1:]
		s.mu.Unlock()
		if step.end {
			s.sink.ended(s, step.err)
			continue
		}
		if !s.sink.frames(s, step.frames) {
			s.mu.Lock()
			s.backlog, s.feeding = nil, false
			s.mu.Unlock()
			return
		}
	}
}

// endError is the error a StreamEnd stands for, nil for a normal end.
func endError(end *roomshardv1.StreamEnd) error {
	if codes.Code(end.GetCode()) == codes.OK {
		return nil
	}
	return status.Error(codes.Code(end.GetCode()), end.GetMessage())
}
