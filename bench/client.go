package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// ClientConfig tunes the harness's WebSocket clients.
type ClientConfig struct {
	// HandshakeTimeout bounds dial plus upgrade. Default 10s.
	HandshakeTimeout time.Duration
	// WriteTimeout bounds one message write. Default 10s.
	WriteTimeout time.Duration
	// ReadBufferSize is the socket read buffer per client. Default 1024,
	// small so tens of thousands of idle clients stay cheap.
	ReadBufferSize int
	// Header is sent with each upgrade request (e.g. Authorization). Default none.
	Header http.Header
}

func (c *ClientConfig) ensureDefaults() {
	if c.HandshakeTimeout <= 0 {
		c.HandshakeTimeout = 10 * time.Second
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 10 * time.Second
	}
	if c.ReadBufferSize <= 0 {
		c.ReadBufferSize = 1024
	}
}

// newDialer builds a dialer shared by all clients of a fleet.
func newDialer(cfg ClientConfig) *websocket.Dialer {
	return &websocket.Dialer{
		HandshakeTimeout: cfg.HandshakeTimeout,
		ReadBufferSize:   cfg.ReadBufferSize,
		WriteBufferSize:  512,
		WriteBufferPool:  &sync.Pool{},
	}
}

// Client is one WebSocket connection. Write is safe for concurrent use;
// Read must be called from one goroutine at a time; Close may be called at
// any time and unblocks a pending Read.
type Client struct {
	conn         *websocket.Conn
	writeTimeout time.Duration
	wmu          sync.Mutex // protects writes on conn
	buf          []byte     // Read's reusable buffer
}

// Dial connects to url.
func Dial(ctx context.Context, d *websocket.Dialer, url string, cfg ClientConfig) (*Client, error) {
	conn, resp, err := d.DialContext(ctx, url, cfg.Header)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("dial %s: %s: %w", url, resp.Status, err)
		}
		return nil, fmt.Errorf("dial %s: %w", url, err)
	}
	return &Client{conn: conn, writeTimeout: cfg.WriteTimeout}, nil
}

// Write sends one text message.
func (c *Client) Write(msg []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.conn.SetWriteDeadline(time.Now().Add(c.writeTimeout)); err != nil {
		return err
	}
	return c.conn.WriteMessage(websocket.TextMessage, msg)
}

// Read returns the next data message. The slice is valid until the next Read.
func (c *Client) Read() ([]byte, error) {
	_, r, err := c.conn.NextReader()
	if err != nil {
		return nil, err
	}
	n := 0
	for {
		if n == len(c.buf) {
			c.buf = append(c.buf, make([]byte, max(256, len(c.buf)))...)
		}
		m, err := r.Read(c.buf[n:])
		n += m
		if err == io.EOF {
			return c.buf[:n], nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// SetReadDeadline bounds the next Read; the zero time clears it.
func (c *Client) SetReadDeadline(t time.Time) error { return c.conn.SetReadDeadline(t) }

// Close sends a normal close frame (best effort) and closes the socket.
func (c *Client) Close() error {
	// WriteControl may run concurrently with Write (gorilla serialises them).
	_ = c.conn.WriteControl(websocket.CloseMessage,
		websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	return c.conn.Close()
}

// Abort closes the socket without a close frame.
func (c *Client) Abort() error { return c.conn.Close() }
