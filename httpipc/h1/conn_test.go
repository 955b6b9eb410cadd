package h1

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/appwire/appwire/httpipc"
)

var errClosed = errors.New("chanconn: closed")

// chanConn is one end of an in-memory MessageConn pair.
type chanConn struct {
	in, out    chan []byte
	max        int
	closed     chan struct{}
	peerClosed chan struct{}
	once       sync.Once
}

var _ httpipc.MessageConn = (*chanConn)(nil)

func pipe(max int) (*chanConn, *chanConn) {
	ab, ba := make(chan []byte, 16), make(chan []byte, 16)
	ca, cb := make(chan struct{}), make(chan struct{})
	return &chanConn{in: ba, out: ab, max: max, closed: ca, peerClosed: cb},
		&chanConn{in: ab, out: ba, max: max, closed: cb, peerClosed: ca}
}

func (c *chanConn) Send(ctx context.Context, msg []byte) error {
	if len(msg) > c.max {
		return errors.New("chanconn: message too large")
	}
	select {
	case <-c.closed:
		return errClosed
	case <-c.peerClosed:
		return errClosed
	default:
	}
	select {
	case c.out <- bytes.Clone(msg):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-c.closed:
		return errClosed
	case <-c.peerClosed:
		return errClosed
	}
}

func (c *chanConn) Recv(ctx context.Context) ([]byte, error) {
	select {
	case m := <-c.in:
		return m, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-c.closed:
		return nil, errClosed
	case <-c.peerClosed:
		return nil, errClosed
	}
}

func (c *chanConn) MaxMessageSize() int { return c.max }

func (c *chanConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return nil
}

func (c *chanConn) isClosed() bool {
	select {
	case <-c.closed:
		return true
	default:
		return false
	}
}

// serveInBackground runs ServeMessages until the test ends.
func serveInBackground(t *testing.T, conn httpipc.MessageConn, h http.Handler) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ServeMessages(ctx, conn, h) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("ServeMessages returned %v, want context.Canceled", err)
		}
	})
}

func get(t *testing.T, c *http.Client, url string) (int, string, http.Header) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func TestRoundTripperAndServer(t *testing.T) {
	cc, sc := pipe(64 << 10)
	serveInBackground(t, sc, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/panic":
			panic("secret internal detail")
		case "/big":
			_, _ = w.Write(bytes.Repeat([]byte("x"), 70<<10))
		case "/trailer":
			w.Header().Set("Trailer", "X-Sum")
			w.Header().Set("Link", "</s.css>; rel=preload")
			w.WriteHeader(http.StatusEarlyHints)
			_, _ = io.WriteString(w, "body")
			w.Header().Set("X-Sum", "42")
		default:
			body, _ := io.ReadAll(r.Body)
			w.Header().Set("X-Host", r.Host)
			fmt.Fprintf(w, "%s %s %s", r.Method, r.URL.RequestURI(), body)
		}
	}))
	c := &http.Client{Transport: &RoundTripper{Conn: cc}}

	if code, body, h := get(t, c, "http://lms.example/a?b=1"); code != 200 || body != "GET /a?b=1 " || h.Get("X-Host") != "lms.example" {
		t.Fatalf("got %d %q %v", code, body, h)
	}
	resp, err := c.Post("http://lms.example/p", "text/plain", strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if string(b) != "POST /p hello" {
		t.Fatalf("POST: %q", b)
	}

	// A panic is a bare 500, and the server goes on.
	if code, body, _ := get(t, c, "http://lms.example/panic"); code != 500 || body != "" {
		t.Fatalf("panic: %d %q", code, body)
	}
	// A response that does not fit in one message is a bare 500.
	if code, body, _ := get(t, c, "http://lms.example/big"); code != 500 || body != "" {
		t.Fatalf("big: %d %q", code, body)
	}
	resp, err = c.Get("http://lms.example/trailer")
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	if string(b) != "body" || resp.Trailer.Get("X-Sum") != "42" {
		t.Fatalf("trailer: %q %v", b, resp.Trailer)
	}

	// Concurrent requests take turns and each gets its own answer.
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := c.Get(fmt.Sprintf("http://lms.example/%d", i))
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if want := fmt.Sprintf("GET /%d ", i); string(b) != want {
				t.Errorf("got %q, want %q", b, want)
			}
		}()
	}
	wg.Wait()
}

func TestServerAnswersBadRequests(t *testing.T) {
	cc, sc := pipe(1 << 20)
	serveInBackground(t, sc, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	ctx := context.Background()
	for _, tt := range []struct {
		msg  string
		want int
	}{
		{"GET / HTTP/1.1\nHost: a\n\n", 400},
		{"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
		{"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9000000\r\n\r\n", 413},
		{"GET / HTTP/1.1\r\nHost: a\r\nX: " + strings.Repeat("a", 9000) + "\r\n\r\n", 431},
		{"GET / HTTP/1.1\r\nHost: a\r\n\r\n", 200},
	} {
		if err := cc.Send(ctx, []byte(tt.msg)); err != nil {
			t.Fatal(err)
		}
		reply, err := cc.Recv(ctx)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := DecodeResponse(reply, "GET", Limits{})
		if err != nil || resp.Status != tt.want || resp.Body != nil {
			t.Errorf("%.40q: got %+v %v, want a bare %d", tt.msg, resp, err, tt.want)
		}
	}
}

// TestLateReplyBreaksConnection: Ustad's defect 2/3. A reply that misses
// its request's deadline must never be taken for the next request's.
func TestLateReplyBreaksConnection(t *testing.T) {
	cc, sc := pipe(1 << 20)
	rt := &RoundTripper{Conn: cc}
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://a/first", nil)
	errc := make(chan error, 1)
	go func() {
		_, err := rt.RoundTrip(req)
		errc <- err
	}()
	// The server receives the request, and the client gives up before
	// the reply.
	if _, err := sc.Recv(context.Background()); err != nil {
		t.Fatal(err)
	}
	cancel()
	err := <-errc
	if !errors.Is(err, ErrBroken) || !errors.Is(err, context.Canceled) {
		t.Fatalf("first: %v, want ErrBroken wrapping context.Canceled", err)
	}
	if !cc.isClosed() {
		t.Error("the broken connection was not closed")
	}
	// The late reply can no longer be paired with anything.
	_ = sc.Send(context.Background(), bare(200))
	req2, _ := http.NewRequest("GET", "http://a/second", nil)
	if _, err := rt.RoundTrip(req2); !errors.Is(err, ErrBroken) {
		t.Fatalf("second: %v, want ErrBroken", err)
	}
}

// TestWaitingForTurnHonoursContext: Ustad's defect 2: a request queued
// behind a slow one can give up without harming the connection.
func TestWaitingForTurnHonoursContext(t *testing.T) {
	cc, sc := pipe(1 << 20)
	rt := &RoundTripper{Conn: cc}
	first := make(chan *http.Response, 1)
	go func() {
		req, _ := http.NewRequest("GET", "http://a/slow", nil)
		resp, err := rt.RoundTrip(req)
		if err != nil {
			t.Error(err)
		}
		first <- resp
	}()
	msg, err := sc.Recv(context.Background()) // the slow request holds the turn
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://a/queued", nil)
	if _, err := rt.RoundTrip(req); !errors.Is(err, context.Canceled) || errors.Is(err, ErrBroken) {
		t.Fatalf("queued: %v, want context.Canceled only", err)
	}
	r, _ := DecodeRequest(msg, Limits{})
	_ = sc.Send(context.Background(), bare(204))
	if resp := <-first; resp == nil || resp.StatusCode != 204 || r.Path != "/slow" {
		t.Fatalf("slow: %+v", resp)
	}
	// The connection still works.
	serveInBackground(t, sc, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") }))
	if code, body, _ := get(t, &http.Client{Transport: rt}, "http://a/"); code != 200 || body != "ok" {
		t.Fatalf("after: %d %q", code, body)
	}
}

// TestRoundTripperKeepsPairing: errors that leave the pairing intact do not
// break the connection.
func TestRoundTripperKeepsPairing(t *testing.T) {
	cc, sc := pipe(256)
	rt := &RoundTripper{Conn: cc}
	req, _ := http.NewRequest("POST", "http://a/", strings.NewReader(strings.Repeat("x", 300)))
	if _, err := rt.RoundTrip(req); !errors.Is(err, ErrMessageTooLarge) {
		t.Fatalf("too large: %v", err)
	}
	go func() {
		_, _ = sc.Recv(context.Background())
		_ = sc.Send(context.Background(), []byte("HTTP/1.1 200 OK\nbare LF\n\n"))
	}()
	req, _ = http.NewRequest("GET", "http://a/", nil)
	if _, err := rt.RoundTrip(req); !errors.Is(err, ErrBareLF) {
		t.Fatalf("bad reply: %v", err)
	}
	serveInBackground(t, sc, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(202) }))
	req, _ = http.NewRequest("HEAD", "http://a/", nil)
	if resp, err := rt.RoundTrip(req); err != nil || resp.StatusCode != 202 {
		t.Fatalf("after: %v %v", resp, err)
	}
}

// TestNetHTTPReadsOurResponses: what ServeMessages sends, net/http reads.
func TestNetHTTPReadsOurResponses(t *testing.T) {
	w := newRecorder(1 << 20)
	w.Header().Set("Content-Type", "text/plain")
	_, _ = io.WriteString(w, "hi")
	b, err := w.encode("GET", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(b)), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(body) != "hi" || resp.ContentLength != 2 {
		t.Fatalf("%d %q %d", resp.StatusCode, body, resp.ContentLength)
	}
}
