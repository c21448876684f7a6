package direct

import (
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"sync"
	"unicode/utf8"

	"github.com/gorilla/websocket"
)

// Hub serves rooms over WebSocket on roomshard's gateway routes:
// /ns/{namespace}/rooms/{name}/websocket, /rooms/{name}/websocket,
// /websocket (room "foo"), and the matching /connections count routes.
// Namespaces: echo, broadcast, plain. Hub is an http.Handler.
type Hub struct {
	cfg      Config
	mux      *http.ServeMux
	upgrader websocket.Upgrader
	// wg tracks reader and writer goroutines.
	wg sync.WaitGroup

	mu      sync.Mutex // protects rooms and closing
	rooms   map[string]*room
	closing bool
}

// NewHub returns a hub with cfg's defaults filled in.
func NewHub(cfg Config) *Hub {
	cfg.ensureDefaults()
	h := &Hub{
		cfg:   cfg,
		mux:   http.NewServeMux(),
		rooms: make(map[string]*room),
		upgrader: websocket.Upgrader{
			ReadBufferSize:  1024,
			WriteBufferPool: &sync.Pool{}, // we never write through gorilla
			CheckOrigin:     func(*http.Request) bool { return true },
		},
	}
	h.mux.HandleFunc("/ns/{ns}/rooms/{name}/{action}", h.handleRoom)
	h.mux.HandleFunc("/rooms/{name}/{action}", h.handleRoom)
	h.mux.HandleFunc("/websocket", h.handleRoom)
	h.mux.HandleFunc("/getCurrentConnections", h.handleRoom)
	return h
}

// ServeHTTP implements http.Handler.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

func (h *Hub) handleRoom(w http.ResponseWriter, r *http.Request) {
	ns := r.PathValue("ns")
	if ns == "" {
		ns = h.cfg.DefaultNamespace
	}
	name, action := r.PathValue("name"), r.PathValue("action")
	switch r.URL.Path {
	case "/websocket":
		name, action = "foo", "websocket"
	case "/getCurrentConnections":
		name, action = "foo", "connections"
	}
	switch {
	case r.Method != http.MethodGet:
		http.Error(w, "method must be GET", http.StatusBadRequest)
	case !knownClass(ns):
		http.Error(w, "unknown namespace "+ns, http.StatusNotFound)
	case len(name) == 0 || len(name) > 256 || !utf8.ValidString(name):
		http.Error(w, "room name must be 1..256 bytes of UTF-8", http.StatusBadRequest)
	case action == "connections":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, countText(h.count(ns, name)))
	case action != "websocket" && action != "ws":
		http.NotFound(w, r)
	case !websocket.IsWebSocketUpgrade(r):
		http.Error(w, "expected Upgrade: websocket", http.StatusUpgradeRequired)
	default:
		h.serveWebSocket(w, r, ns, name)
	}
}

func (h *Hub) count(ns, name string) int {
	h.mu.Lock()
	r := h.rooms[ns+"\x00"+name]
	h.mu.Unlock()
	if r == nil {
		return 0
	}
	return r.count()
}

func (h *Hub) serveWebSocket(w http.ResponseWriter, r *http.Request, ns, name string) {
	ws, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader already answered
	}
	c := &conn{hub: h, ws: ws, nc: ws.NetConn(), id: newUUID()}
	rm := h.join(ns, name, c)
	if rm == nil {
		_ = c.nc.Close() // shutting down
		return
	}
	// Serve the socket from a fresh goroutine and return, so net/http's
	// connection goroutine exits and frees its buffers and request.
	go func() {
		defer h.wg.Done()
		h.read(rm, c)
		h.leave(rm, c)
		c.finish()
	}()
}

// read runs the reader loop until the connection ends.
func (h *Hub) read(rm *room, c *conn) {
	ws := c.ws
	ws.SetReadLimit(h.cfg.ReadLimit)
	ws.SetPingHandler(func(data string) error {
		c.send(frame(opPong, []byte(data)))
		return nil
	})
	ws.SetCloseHandler(func(code int, _ string) error {
		c.closeWith(rm.closeReply(code))
		return nil
	})
	var buf []byte
	for {
		_, rd, err := ws.NextReader()
		if err != nil {
			return // on ErrReadLimit gorilla has already sent 1009
		}
		buf = buf[:0]
		for {
			if len(buf) == cap(buf) {
				buf = append(buf, 0)[:len(buf)]
			}
			n, err := rd.Read(buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+n]
			if err == io.EOF {
				break
			}
			if err != nil {
				return
			}
		}
		rm.onMessage(c, buf)
	}
}

// join adds c to its room and counts its reader in wg; it returns nil once
// CloseAll has begun.
func (h *Hub) join(ns, name string, c *conn) *room {
	key := ns + "\x00" + name
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return nil
	}
	h.wg.Add(1)
	r := h.rooms[key]
	if r == nil {
		r = &room{key: key, class: ns}
		h.rooms[key] = r
	}
	r.add(c)
	return r
}

func (h *Hub) leave(r *room, c *conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if r.remove(c) == 0 {
		delete(h.rooms, r.key)
	}
}

// Stats is a snapshot of the hub's size.
type Stats struct {
	Rooms       int `json:"rooms"`
	Connections int `json:"connections"`
}

// Stats counts rooms and connections.
func (h *Hub) Stats() Stats {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := Stats{Rooms: len(h.rooms)}
	for _, r := range h.rooms {
		s.Connections += r.count()
	}
	return s
}

// each calls fn for every connection, under the hub and room locks; fn must
// not block.
func (h *Hub) each(fn func(*conn)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range h.rooms {
		r.mu.Lock()
		for _, c := range r.members {
			fn(c)
		}
		r.mu.Unlock()
	}
}

// DropAll resets every connection without a close frame, as a crashed
// process would, and returns how many it dropped.
func (h *Hub) DropAll() int {
	n := 0
	h.each(func(c *conn) { c.abort(); n++ })
	return n
}

// CloseAll sends every connection a 1001 close and waits for every reader
// and writer goroutine to exit.
func (h *Hub) CloseAll() {
	h.mu.Lock()
	h.closing = true
	h.mu.Unlock()
	h.each(func(c *conn) { c.closeWith(websocket.CloseGoingAway, goingAwayText) })
	h.wg.Wait()
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
