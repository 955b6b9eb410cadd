package simplepush

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/appwire/appwire/internal/wsconn"
)

// rawHello opens a WebSocket with a plain net.Conn (no client-side
// buffers kept), sends hello and reads the reply.
func rawHello(t *testing.T, addr string) net.Conn {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	req := "GET / HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	hello := wsconn.AppendFrame([]byte(req), wsconn.Text, []byte(`{"messageType":"hello","uaid":"","channelIDs":[]}`), true)
	if _, err := nc.Write(hello); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReaderSize(nc, 512)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 101 {
		t.Fatalf("handshake: %v %v", resp, err)
	}
	var hdr [2]byte
	if _, err := br.Read(hdr[:]); err != nil { // the hello reply: < 126 bytes
		t.Fatal(err)
	}
	rest := make([]byte, int(hdr[1]&0x7f))
	for n := 0; n < len(rest); {
		k, err := br.Read(rest[n:])
		if err != nil {
			t.Fatal(err)
		}
		n += k
	}
	return nc
}

// TestIdleConnectionsCostNoGoroutine is the design property: 2,000 idle,
// helloed sockets add no server goroutine. It also logs the heap they
// cost (client and server sides together: an upper bound).
func TestIdleConnectionsCostNoGoroutine(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 2,000 sockets")
	}
	const n = 2000
	ts := startServer(t, Options{MaxConnections: -1})
	addr := ts.ws[len("ws://") : len(ts.ws)-1]
	// Warm up the pools and the HTTP server.
	warm := rawHello(t, addr)
	warm.Close()
	waitConns(t, ts, 0)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	g0 := runtime.NumGoroutine()
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range n {
		conns = append(conns, rawHello(t, addr))
	}
	waitConns(t, ts, n)
	for i := 0; ts.Stats().Reading > 0 || runtime.NumGoroutine() > g0+20; i++ {
		if i > 5000 {
			break
		}
		sleepTick()
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	g1 := runtime.NumGoroutine()
	st := ts.Stats()
	if st.Conns != n || st.Helloed != n {
		t.Fatalf("stats %+v", st)
	}
	if g1-g0 > 20 {
		t.Fatalf("%d idle sockets: goroutines %d -> %d", n, g0, g1)
	}
	perConn := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / n
	t.Logf("%d idle helloed sockets: goroutines %d -> %d; heap %d B per socket (client + server + store record)", n, g0, g1, perConn)
}

// TestWriteAfterStaleDeadline: a socket once written with a deadline
// (a write that would have blocked) keeps working after that deadline
// passed: the next write, tried without waiting first, must not fail on
// the old deadline.
func TestWriteAfterStaleDeadline(t *testing.T) {
	ts := startServer(t, Options{})
	nc := rawHello(t, strings.TrimSuffix(strings.TrimPrefix(ts.ws, "ws://"), "/"))
	defer nc.Close()
	var c *conn
	for deadline := time.Now().Add(5 * time.Second); c == nil && time.Now().Before(deadline); {
		ts.mu.Lock()
		for _, x := range ts.byUAID {
			c = x
		}
		ts.mu.Unlock()
		if c == nil {
			time.Sleep(5 * time.Millisecond)
		}
	}
	if c == nil {
		t.Fatal("no helloed socket")
	}
	if c.rc == nil {
		t.Skip("no raw descriptor on this platform")
	}
	_ = c.nc.SetWriteDeadline(time.Now().Add(-time.Second)) // what an old blocking write leaves
	if err := c.writeText([]byte(`{"messageType":"notification","updates":[]}`)); err != nil {
		t.Fatalf("write after a stale deadline: %v", err)
	}
	_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	var hdr [2]byte
	if _, err := io.ReadFull(nc, hdr[:]); err != nil || hdr[0] != 0x81 {
		t.Fatalf("client read %x, %v; want a text frame", hdr, err)
	}
	if c.isClosed() {
		t.Fatal("socket closed")
	}
}
