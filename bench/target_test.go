package bench

import (
	"errors"
	"testing"
)

func TestRoomshardDecode(t *testing.T) {
	p := Payload{Tag: 3, Seq: 9, Sent: 12345}
	m := string(AppendPayload(nil, p, 40))
	id := "0f8fad5b-d9cb-469f-a165-70867728950e"
	tests := []struct {
		name  string
		frame string
		want  Kind
	}{
		{"echo", "[Durable Object]: " + m, KindEcho},
		{"self", "[Durable Object] message: " + m + ", from: " + id + ", to: the initiating client. Total connections: 3", KindSelf},
		{"others", "[Durable Object] message: " + m + ", from: " + id + ", to: all clients except the initiating client. Total connections: 3", KindOthers},
		{"all", "[Durable Object] message: " + m + ", from: " + id + ", to: all clients. Total connections: 12", KindAll},
		{"hibernation", "[Durable Object] message: " + m + ", from: " + id + ". Total connections: 2", KindAll},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Roomshard{}.Decode([]byte(tt.frame), nil)
			if err != nil || len(out) != 1 || out[0].Kind != tt.want || out[0].Payload != p {
				t.Fatalf("Decode = %+v, %v", out, err)
			}
		})
	}
}

func TestRoomshardDecodeRejects(t *testing.T) {
	m := string(AppendPayload(nil, Payload{Tag: 1, Seq: 1, Sent: 1}, 0))
	for _, frame := range []string{
		"hello",
		"[Durable Object]: hello",
		"[Durable Object]: " + m + "trailing",
		"[Durable Object] message: " + m + ", from: id, to: nobody. Total connections: 3",
		"[Durable Object] message: " + m + ", from: id, to: all clients. Total connections: ",
		"[Durable Object] message: " + m + ", from: , to: all clients. Total connections: 1",
		"[Durable Object] message: " + m + " from: id, to: all clients. Total connections: 1",
	} {
		if _, err := (Roomshard{}).Decode([]byte(frame), nil); !errors.Is(err, ErrUnexpectedFrame) {
			t.Errorf("Decode(%q) err = %v", frame, err)
		}
	}
}

func TestPlainDecodeBatchedLines(t *testing.T) {
	a := AppendPayload(nil, Payload{Tag: 1, Seq: 1, Sent: 10}, 0)
	b := AppendPayload(nil, Payload{Tag: 2, Seq: 5, Sent: 20}, 30)
	frame := append(append(append([]byte{}, a...), '\n'), b...)
	out, err := Plain{}.Decode(frame, nil)
	if err != nil || len(out) != 2 || out[1].Payload.Seq != 5 || out[0].Kind != KindVerbatim {
		t.Fatalf("Decode = %+v, %v", out, err)
	}
	if _, err := (Plain{}).Decode([]byte("not ours"), nil); !errors.Is(err, ErrUnexpectedFrame) {
		t.Errorf("foreign text accepted: %v", err)
	}
}

func TestRoomURLs(t *testing.T) {
	tests := []struct {
		name   string
		target Target
		class  Class
		room   string
		want   string
	}{
		{"roomshard echo", Roomshard{Base: "ws://h:8080/"}, ClassEcho, "a b", "ws://h:8080/ns/echo/rooms/a%20b/websocket"},
		{"roomshard broadcast", Roomshard{Base: "ws://h:8080"}, ClassBroadcast, "r", "ws://h:8080/ns/broadcast/rooms/r/websocket"},
		{"roomshard hibernation", Roomshard{Base: "wss://h", BroadcastNamespace: "hibernation"}, ClassBroadcast, "r", "wss://h/ns/hibernation/rooms/r/websocket"},
		{"plain", Plain{URLTemplate: "ws://p:8000/ws?room={room}"}, ClassBroadcast, "x&y", "ws://p:8000/ws?room=x%26y"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.target.RoomURL(tt.class, tt.room)
			if err != nil || got != tt.want {
				t.Fatalf("RoomURL = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	for _, bad := range []Target{Roomshard{Base: "http://h"}, Plain{URLTemplate: "ws://p/ws"}, Plain{URLTemplate: "http://p/{room}"}} {
		if _, err := bad.RoomURL(ClassBroadcast, "r"); !errors.Is(err, ErrBadConfig) {
			t.Errorf("%#v: err = %v", bad, err)
		}
	}
}

func FuzzTargetDecode(f *testing.F) {
	m := string(AppendPayload(nil, Payload{Tag: 1, Seq: 2, Sent: 3}, 0))
	f.Add([]byte("[Durable Object]: " + m))
	f.Add([]byte("[Durable Object] message: " + m + ", from: id, to: all clients. Total connections: 2"))
	f.Add([]byte(m + "\n" + m))
	f.Fuzz(func(t *testing.T, frame []byte) {
		for _, target := range []Target{Roomshard{}, Plain{}} {
			out, err := target.Decode(frame, nil)
			if err != nil && !errors.Is(err, ErrUnexpectedFrame) {
				t.Fatalf("%s: unexpected error type %v", target.Name(), err)
			}
			for _, d := range out {
				if _, _, err := ParsePayload(AppendPayload(nil, d.Payload, 0)); err != nil {
					t.Fatalf("%s: decoded payload does not re-encode: %v", target.Name(), err)
				}
			}
		}
	})
}
