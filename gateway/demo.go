package gateway

import _ "embed"

// demoPage is the chat demo served at GET / to clients that accept
// text/html: plain HTML, CSS and JavaScript with no external resources.
// It picks a room and a name, joins the room of the chat namespace at
// /ns/chat/rooms/{room}/websocket, shows every received text line (the
// room's history first) and the close code when the socket closes.
//
// Its element ids are what cluster/clustertest's browser test drives: #room,
// #name, #join, #leave, #status (with data-state idle, connecting, open,
// closing or closed), #messages (one <li> per received line), #message and
// #send.
//
//go:embed demo.html
var demoPage []byte
