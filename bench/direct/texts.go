package direct

import "strconv"

// The reply texts of SPEC §4, byte for byte.
const (
	toSelf        = "the initiating client"
	toOthers      = "all clients except the initiating client"
	toAll         = "all clients"
	closingReason = "Durable Object is closing WebSocket"
	slowReason    = "slow consumer"
	goingAwayText = "server shutting down"
)

// echoText is the echo class's reply.
func echoText(msg []byte) []byte {
	return append([]byte("[Durable Object]: "), msg...)
}

// broadcastText is one of the broadcast class's three texts.
func broadcastText(msg []byte, from, to string, n int) []byte {
	b := make([]byte, 0, 96+len(msg)+len(from)+len(to))
	b = append(b, "[Durable Object] message: "...)
	b = append(b, msg...)
	b = append(b, ", from: "...)
	b = append(b, from...)
	b = append(b, ", to: "...)
	b = append(b, to...)
	b = append(b, ". Total connections: "...)
	return strconv.AppendInt(b, int64(n), 10)
}

// countText is the connection count text of every class.
func countText(n int) string {
	if n == 1 {
		return "There is 1 WebSocket client connected to this Durable Object instance."
	}
	return "There are " + strconv.Itoa(n) + " WebSocket clients connected to this Durable Object instance."
}
