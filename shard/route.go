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

// oneDeliver is a Deliver frame naming one socket id, allocated as one
// object instead of four (frame, oneof wrapper, Deliver, id slice): every
// message of an echo or broadcast room sends one or more of these.
type oneDeliver struct {
	frame roomshardv1.ShardFrame
	wrap  roomshardv1.ShardFrame_Deliver
	d     roomshardv1.Deliver
	id    [1]string
}

// newDeliver returns a Deliver frame for data. With all unset it goes to
// socket id; with all set, to every socket of the stream but id ("" for none).
func newDeliver(id string, all bool, data []byte, binary bool) *roomshardv1.ShardFrame {
	o := &oneDeliver{}
	o.d.Data, o.d.Binary, o.d.All = data, binary, all
	if id != "" {
		o.id[0] = id
		if all {
			o.d.Except = o.id[:]
		} else {
			o.d.SocketIds = o.id[:]
		}
	}
	o.wrap.Deliver = &o.d
	o.frame.Frame = &o.wrap
	return &o.frame
}

// sendTo sends data to one socket.
func (r *room) sendTo(s *socket, data []byte, binary bool) {
	r.emit(s.link, newDeliver(s.id, false, data, binary))
}

// sendAll sends data to every socket but except (nil for none) and
// returns how many sockets it reaches.
func (r *room) sendAll(except *socket, data []byte, binary bool) int {
	n := 0
	for _, l := range r.reg.links {
		count := len(l.sockets)
		skip := ""
		if except != nil && except.link == l {
			// A closing socket is out of the registry but may still be
			// open at its gateway: exclude it there all the same.
			skip = except.id
			if except.state == sockOpen {
				count--
			}
		}
		if count <= 0 {
			continue
		}
		n += count
		r.emit(l, newDeliver(skip, true, data, binary))
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
