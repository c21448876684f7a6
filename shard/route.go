package shard

import (
	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
)

// Routing: the room knows which gateway stream holds each socket and sends
// each stream only what concerns its sockets. A broadcast crosses each
// stream once as Deliver{all, except} and the gateway fans it out.

func deliverFrame(d *roomshardv1.Deliver) *roomshardv1.ShardFrame {
	return &roomshardv1.ShardFrame{Frame: &roomshardv1.ShardFrame_Deliver{Deliver: d}}
}

// sendTo sends data to one socket.
func (r *room) sendTo(s *socket, data []byte, binary bool) {
	r.emit(s.link, deliverFrame(&roomshardv1.Deliver{SocketIds: []string{s.id}, Data: data, Binary: binary}))
}

// sendAll sends data to every socket but except (nil for none) and
// returns how many sockets it reaches.
func (r *room) sendAll(except *socket, data []byte, binary bool) int {
	n := 0
	for _, l := range r.reg.links {
		count := len(l.sockets)
		d := &roomshardv1.Deliver{All: true, Data: data, Binary: binary}
		if except != nil && except.link == l {
			// A closing socket is out of the registry but may still be
			// open at its gateway: exclude it there all the same.
			d.Except = []string{except.id}
			if except.state == sockOpen {
				count--
			}
		}
		if count <= 0 {
			continue
		}
		n += count
		r.emit(l, deliverFrame(d))
	}
	return n
}

// sendToTag sends data to the sockets carrying tag, one Deliver per stream.
func (r *room) sendToTag(tag string, data []byte, binary bool) {
	byLink := map[*link][]string{}
	var order []*link
	for _, s := range r.reg.list(tag) {
		if byLink[s.link] == nil {
			order = append(order, s.link)
		}
		byLink[s.link] = append(byLink[s.link], s.id)
	}
	for _, l := range order {
		r.emit(l, deliverFrame(&roomshardv1.Deliver{SocketIds: byLink[l], Data: data, Binary: binary}))
	}
}

func closeFrame(id string, code int, reason string) *roomshardv1.ShardFrame {
	return &roomshardv1.ShardFrame{Frame: &roomshardv1.ShardFrame_Close{
		Close: &roomshardv1.CloseSocket{SocketId: id, Code: int32(code), Reason: reason},
	}}
}

func tagsFrame(id string, tags []string) *roomshardv1.ShardFrame {
	return &roomshardv1.ShardFrame{Frame: &roomshardv1.ShardFrame_Tags{
		Tags: &roomshardv1.SetTags{SocketId: id, Tags: tags},
	}}
}

func movingFrame(reason string) *roomshardv1.ShardFrame {
	return &roomshardv1.ShardFrame{Frame: &roomshardv1.ShardFrame_Moving{Moving: &roomshardv1.RoomMoving{Reason: reason}}}
}
