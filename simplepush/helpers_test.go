package simplepush

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/appwire/appwire/internal/wsconn"
)

// fakeClock fires timers only when a test advances it, synchronously.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	c       *fakeClock
	at      time.Time
	f       func()
	stopped bool
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Unix(1_700_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: c, at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return t
}

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := !t.stopped
	t.stopped = true
	return was
}

// Advance moves time and runs every timer due, in time order.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due, keep []*fakeTimer
	for _, t := range c.timers {
		switch {
		case t.stopped:
		case !t.at.After(c.now):
			t.stopped = true
			due = append(due, t)
		default:
			keep = append(keep, t)
		}
	}
	c.timers = keep
	c.mu.Unlock()
	sort.Slice(due, func(i, j int) bool { return due[i].at.Before(due[j].at) })
	for _, t := range due {
		t.f()
	}
}

type testServer struct {
	*Server
	clock *fakeClock
	ws    string // ws://host/
	http  string // http://host
}

func startServer(t *testing.T, opts Options) *testServer {
	t.Helper()
	clock := newFakeClock()
	if opts.Clock == nil {
		opts.Clock = clock
	}
	s, err := NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	addr := ln.Addr().String()
	return &testServer{Server: s, clock: clock, ws: "ws://" + addr + "/", http: "http://" + addr}
}

// client is a test user agent over a real WebSocket.
type client struct {
	t *testing.T
	c *wsconn.Conn
}

func ctx5(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func (ts *testServer) dial(t *testing.T) *client {
	t.Helper()
	c, err := wsconn.Dial(ctx5(t), ts.ws, wsconn.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return &client{t: t, c: c}
}

func (c *client) send(msg string) {
	c.t.Helper()
	if err := c.c.WriteText(ctx5(c.t), []byte(msg)); err != nil {
		c.t.Fatalf("send %s: %v", msg, err)
	}
}

func (c *client) recvRaw() string {
	c.t.Helper()
	_, b, err := c.c.ReadMessage(ctx5(c.t), nil)
	if err != nil {
		c.t.Fatalf("recv: %v", err)
	}
	return string(b)
}

func (c *client) recv() *ServerMessage {
	c.t.Helper()
	raw := c.recvRaw()
	m, err := ParseServerMessage([]byte(raw))
	if err != nil {
		c.t.Fatalf("recv %s: %v", raw, err)
	}
	return m
}

// closed expects the server to close the socket and returns the close
// code (0 when the TCP connection just ended).
func (c *client) closed() wsconn.StatusCode {
	c.t.Helper()
	for {
		_, b, err := c.c.ReadMessage(ctx5(c.t), nil)
		if err == nil {
			c.t.Fatalf("expected close, got %s", b)
		}
		var ce *wsconn.CloseError
		if errors.As(err, &ce) {
			return ce.Code
		}
		if errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "reset") {
			return 0
		}
		c.t.Fatalf("expected close, got %v", err)
	}
}

// quiet checks that nothing is queued: a ping's pong is the next message.
func (c *client) quiet() {
	c.t.Helper()
	c.send(`{}`)
	if raw := c.recvRaw(); raw != `{}` {
		c.t.Fatalf("expected nothing queued, got %s", raw)
	}
}

func (c *client) hello(uaid string, chids ...string) string {
	c.t.Helper()
	m := ClientMessage{Type: TypeHello, UAID: uaid, HasUAID: true, ChannelIDs: chids, HasChannelIDs: true}
	c.send(string(m.Append(nil)))
	r := c.recv()
	if r.Type != TypeHello || r.Status != 200 || len(r.UAID) != 32 {
		c.t.Fatalf("hello: %+v", r)
	}
	return r.UAID
}

func (c *client) register(chid string) string {
	c.t.Helper()
	c.send(`{"messageType":"register","channelID":"` + chid + `"}`)
	r := c.recv()
	if r.Type != TypeRegister || r.Status != 200 || r.ChannelID != chid || r.PushEndpoint == "" {
		c.t.Fatalf("register: %+v", r)
	}
	return r.PushEndpoint
}

func (c *client) ack(chid string, v uint64) {
	c.t.Helper()
	m := ClientMessage{Type: TypeAck, Updates: []Update{{ChannelID: chid, Version: v}}, HasUpdates: true}
	c.send(string(m.Append(nil)))
}

func (c *client) notification() []Update {
	c.t.Helper()
	r := c.recv()
	if r.Type != TypeNotification {
		c.t.Fatalf("expected a notification, got %+v", r)
	}
	return r.Updates
}

// put sends body to endpoint and returns the status.
func put(t *testing.T, method, endpoint, contentType, body string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx5(t), method, endpoint, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

const form = "application/x-www-form-urlencoded"

func secs(n int) time.Duration { return time.Duration(n) * time.Second }

// sleepTick yields briefly while waiting for the server's side of a
// handshake; it bounds a poll loop, never a protocol timer.
func sleepTick() { time.Sleep(time.Millisecond) }
