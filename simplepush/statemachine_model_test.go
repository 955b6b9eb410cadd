package simplepush

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/appwire/appwire/internal/wsconn"
	"pgregory.net/rapid"
)

// This file holds the pieces of TestStateMachine (statemachine_test.go):
// the model of what the server must hold, a server on a loopback listener
// for one rapid run, and a minimal user agent over internal/wsconn (not
// the package's client, so a client bug cannot hide a server bug).

// smIOTimeout bounds one expected read or write; a healthy run never
// comes near it.
const smIOTimeout = 5 * time.Second

// smRetransmit is the server's RetransmitInterval; the fake clock is the
// only thing that ever fires it.
const smRetransmit = 60 * time.Second

// mChannel is one channel of a user, as the model sees it.
type mChannel struct {
	chid       string
	endpoints  []string // every pushEndpoint a register reply gave; all stay valid
	registered bool
	version    uint64 // newest stored version since (re)registration; 0 = none
	acked      uint64 // version the last effective ack cleared
	seen       uint64 // newest version the user agent saw since (re)registration
}

// pending reports whether the server owes the user agent this channel.
func (c *mChannel) pending() bool { return c.registered && c.version > c.acked }

// mUser is one uaid the server handed out.
type mUser struct {
	uaid  string
	chans []*mChannel
}

func (u *mUser) channel(chid string) *mChannel {
	for _, c := range u.chans {
		if c.chid == chid {
			return c
		}
	}
	return nil
}

// pending is what a flush for u must carry: every registered channel
// whose newest version is unacked, newest version only, channel ID order,
// without data.
func (u *mUser) pending() []Update {
	var out []Update
	for _, c := range u.chans {
		if c.pending() {
			out = append(out, Update{ChannelID: c.chid, Version: c.version})
		}
	}
	slices.SortFunc(out, func(a, b Update) int { return strings.Compare(a.ChannelID, b.ChannelID) })
	return out
}

func (u *mUser) registeredIDs() []string {
	var out []string
	for _, c := range u.chans {
		if c.registered {
			out = append(out, c.chid)
		}
	}
	return out
}

// smSock is one user-agent WebSocket.
type smSock struct {
	ws   *wsconn.Conn
	name string
	// retryAt is when the server's retransmission timer for this socket
	// fires (fake clock); zero when it is not armed.
	retryAt time.Time
	// sent is the newest version of each channel written to this socket
	// and not acked since: a flush after an ack carries only what is
	// newer.
	sent map[string]uint64
}

// markSent records that up reached so.
func (so *smSock) markSent(up Update) {
	if so.sent == nil {
		so.sent = map[string]uint64{}
	}
	so.sent[up.ChannelID] = max(so.sent[up.ChannelID], up.Version)
}

// unsent is the part of pending that so was not already sent.
func (so *smSock) unsent(pending []Update) []Update {
	var out []Update
	for _, up := range pending {
		if v, ok := so.sent[up.ChannelID]; !ok || up.Version > v {
			out = append(out, up)
		}
	}
	return out
}

// mSlot is one user agent: the uaid it holds and its socket, if any.
type mSlot struct {
	name string
	user *mUser  // nil before the first hello
	sock *smSock // nil when disconnected
}

// smServer is a real Server on a loopback listener for one rapid run.
type smServer struct {
	s      *Server
	store  *MemoryStore
	gate   *pendingGate
	clock  *fakeClock
	ws     string
	http   string
	client *http.Client
	socks  []*smSock
}

func startSMServer(t *rapid.T, d Dialect) *smServer {
	clock := newFakeClock()
	never := StoreTTLs{Live: -1, Registered: -1, Deleted: -1, User: -1}
	store := NewMemoryStore(MemoryStoreOptions{TTLs: never, Now: clock.Now})
	gate := &pendingGate{MemoryStore: store}
	s, err := NewServer(Options{
		Dialect: d, Store: gate, Clock: clock, RetransmitInterval: smRetransmit,
		HelloTimeout: -1, MinPingInterval: -1, // pings are the test's sync points
	})
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
	addr := ln.Addr().String()
	srv := &smServer{
		s: s, store: store, gate: gate, clock: clock, ws: "ws://" + addr + "/", http: "http://" + addr,
		client: &http.Client{Transport: &http.Transport{}, Timeout: smIOTimeout},
	}
	t.Cleanup(func() {
		for _, so := range srv.socks {
			_ = so.ws.CloseNow()
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		srv.client.CloseIdleConnections()
	})
	return srv
}

func ioCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), smIOTimeout)
}

func (srv *smServer) dial(t *rapid.T, name string) *smSock {
	ctx, cancel := ioCtx()
	defer cancel()
	c, err := wsconn.Dial(ctx, srv.ws, wsconn.DialOptions{})
	if err != nil {
		t.Fatalf("%s: dial: %v", name, err)
	}
	so := &smSock{ws: c, name: name}
	srv.socks = append(srv.socks, so)
	return so
}

func (so *smSock) send(t *rapid.T, msg []byte) {
	ctx, cancel := ioCtx()
	defer cancel()
	if err := so.ws.WriteText(ctx, msg); err != nil {
		t.Fatalf("%s: send %s: %v", so.name, msg, err)
	}
}

func (so *smSock) sendMsg(t *rapid.T, m *ClientMessage) { so.send(t, m.Append(nil)) }

func (so *smSock) recvRaw(t *rapid.T) []byte {
	ctx, cancel := ioCtx()
	defer cancel()
	_, b, err := so.ws.ReadMessage(ctx, nil)
	if err != nil {
		t.Fatalf("%s: recv: %v", so.name, err)
	}
	return b
}

func (so *smSock) recv(t *rapid.T) *ServerMessage {
	raw := so.recvRaw(t)
	m, err := ParseServerMessage(raw)
	if err != nil {
		t.Fatalf("%s: recv %s: %v", so.name, raw, err)
	}
	return m
}

// sync sends a ping and returns every message that came before its pong:
// the server handles one socket's messages in order and every write the
// test can cause happens before the call causing it returns, so after
// the pong nothing else is on its way.
func (so *smSock) sync(t *rapid.T) []*ServerMessage {
	so.send(t, []byte(`{}`))
	var out []*ServerMessage
	for {
		raw := so.recvRaw(t)
		if string(raw) == `{}` {
			return out
		}
		m, err := ParseServerMessage(raw)
		if err != nil {
			t.Fatalf("%s: recv %s: %v", so.name, raw, err)
		}
		out = append(out, m)
	}
}

// closedByServer expects the server's close frame (no data before it)
// and returns its code.
func (so *smSock) closedByServer(t *rapid.T) wsconn.StatusCode {
	ctx, cancel := ioCtx()
	defer cancel()
	_, b, err := so.ws.ReadMessage(ctx, nil)
	if err == nil {
		t.Fatalf("%s: expected the server to close, got %s", so.name, b)
	}
	var ce *wsconn.CloseError
	if errors.As(err, &ce) {
		_ = so.ws.CloseNow()
		return ce.Code
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return 0
	}
	t.Fatalf("%s: expected the server to close, got %v", so.name, err)
	return 0
}

// waitFor polls cond: the server finishes a close (maps, store route) in
// its own goroutine after the close frame went out. It bounds a poll on
// server state, never a protocol timer (those run on the fake clock).
func waitFor(t *rapid.T, what string, cond func() bool) {
	deadline := time.Now().Add(smIOTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// put sends body to endpoint and returns the status.
func (srv *smServer) put(t *rapid.T, endpoint, body string) int {
	ctx, cancel := ioCtx()
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, endpoint, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := srv.client.Do(req)
	if err != nil {
		t.Fatalf("PUT %s: %v", body, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// smChannelID is the i-th channel ID of the n-th user: deterministic, so
// a shrunk sequence replays with the same flush order.
func smChannelID(user, i int) string {
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", user, i)
}

func fmtUpdates(us []Update) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, u := range us {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s…:%d", u.ChannelID[:8]+u.ChannelID[len(u.ChannelID)-2:], u.Version)
		if u.Data != "" {
			fmt.Fprintf(&b, "(%q)", u.Data)
		}
	}
	return b.String() + "]"
}

// pendingGate is the server's store: the MemoryStore, except that once
// armed, the next Pending call reports that it has read and then waits
// for release before returning, so a test can put a PUT between a
// flush's read of the pending updates and its write.
type pendingGate struct {
	*MemoryStore
	mu      sync.Mutex
	read    chan struct{} // closed when the armed Pending has read
	release chan struct{} // closed by the test to let it return
}

func (g *pendingGate) arm() (read, release chan struct{}) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.read, g.release = make(chan struct{}), make(chan struct{})
	return g.read, g.release
}

// Pending implements Store.
func (g *pendingGate) Pending(ctx context.Context, uaid string, dst []Update) ([]Update, error) {
	p, err := g.MemoryStore.Pending(ctx, uaid, dst)
	g.mu.Lock()
	read, release := g.read, g.release
	g.read, g.release = nil, nil
	g.mu.Unlock()
	if read != nil {
		close(read)
		<-release
	}
	return p, err
}
