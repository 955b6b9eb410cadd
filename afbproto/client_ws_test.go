package afbproto_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/appwire/appwire/afbproto"
	"github.com/appwire/appwire/internal/wsconn"
)

func dial(t testing.TB, url string, opts afbproto.ClientOptions) *afbproto.WSClient {
	t.Helper()
	c, err := afbproto.Dial(testCtx(t), url, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestWSConcurrentCalls(t *testing.T) {
	b := startBinder(t, afbproto.Options{Token: afbproto.AnyToken(), MaxCalls: 16})
	c := dial(t, b.wsURL(), afbproto.ClientOptions{})
	ctx := testCtx(t)
	const workers, calls = 50, 20
	var wg sync.WaitGroup
	errc := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range calls {
				want := fmt.Sprintf(`{"w":%d,"i":%d}`, w, i)
				r, err := c.Call(ctx, "hello", "echo", json.RawMessage(want))
				if err != nil {
					errc <- err
					return
				}
				if string(r.Response) != want {
					errc <- fmt.Errorf("reply %s to call %s: replies mixed up", r.Response, want)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	if s := c.Stats(); s != (afbproto.WSStats{}) {
		t.Errorf("stats %+v, want zero", s)
	}
}

func TestWSEvents(t *testing.T) {
	b := startBinder(t, afbproto.Options{Token: afbproto.AnyToken()})
	c := dial(t, b.wsURL(), afbproto.ClientOptions{})
	ctx := testCtx(t)
	mustCall(t, c, "hello", "eventadd", map[string]string{"tag": "t", "name": "ev9"})
	mustCall(t, c, "hello", "eventsub", map[string]string{"tag": "t"})
	mustCall(t, c, "hello", "eventpush", map[string]any{"tag": "t", "data": map[string]any{"x": []any{1, "a/b"}}})
	select {
	case e := <-c.Events():
		if e.Event != "hello/ev9" || string(e.Data) != `{"x":[1,"a/b"]}` {
			t.Errorf("event %q %s", e.Event, e.Data)
		}
	case <-ctx.Done():
		t.Fatal("no event")
	}
}

func mustCall(t testing.TB, c afbproto.Caller, api, verb string, args any, opts ...afbproto.CallOption) *afbproto.Reply {
	t.Helper()
	r, err := c.Call(testCtx(t), api, verb, args, opts...)
	if err != nil {
		t.Fatalf("%s/%s: %v", api, verb, err)
	}
	return r
}

// A consumer that does not read events does not hold up replies; the
// events that find the channel full are counted.
func TestWSSlowEventConsumer(t *testing.T) {
	b := startBinder(t, afbproto.Options{Token: afbproto.AnyToken()})
	c := dial(t, b.wsURL(), afbproto.ClientOptions{EventBuffer: 2})
	mustCall(t, c, "hello", "eventadd", map[string]string{"tag": "t", "name": "e"})
	mustCall(t, c, "hello", "eventsub", map[string]string{"tag": "t"})
	for i := range 5 {
		// The binder writes an event pushed by a verb before its reply.
		mustCall(t, c, "hello", "eventpush", map[string]any{"tag": "t", "data": i})
	}
	if got := c.Stats().DroppedEvents; got != 3 {
		t.Errorf("DroppedEvents = %d, want 3", got)
	}
	for _, want := range []string{"0", "1"} {
		if e := <-c.Events(); string(e.Data) != want {
			t.Errorf("event data %s, want %s", e.Data, want)
		}
	}
}

func TestWSNoEventDelivery(t *testing.T) {
	b := startBinder(t, afbproto.Options{Token: afbproto.AnyToken()})
	c := dial(t, b.wsURL(), afbproto.ClientOptions{EventBuffer: -1})
	mustCall(t, c, "hello", "broadcast", map[string]string{"name": "x"})
	if got := c.Stats().DroppedEvents; got != 1 {
		t.Errorf("DroppedEvents = %d, want 1", got)
	}
}

// Spec §3.5 over WebSocket: connect and refresh hand out tokens in the 4th
// element; the client tracks them; a per-call token is checked for that
// call only.
func TestWSTokenRefresh(t *testing.T) {
	b := startBinder(t, afbproto.Options{Token: afbproto.FixedToken("HELLO")})
	c := dial(t, b.wsURL(), afbproto.ClientOptions{Token: "HELLO"})
	if c.Token() != "HELLO" {
		t.Fatalf("Token() = %q before any call", c.Token())
	}
	r := mustCall(t, c, "auth", "connect", nil)
	t1 := c.Token()
	if t1 == "HELLO" || t1 == "" || t1 != r.Token {
		t.Fatalf("after connect: Token() = %q, reply token %q", t1, r.Token)
	}
	mustCall(t, c, "auth", "check", nil, afbproto.WithToken(t1))
	mustCall(t, c, "auth", "refresh", nil)
	t2 := c.Token()
	if t2 == t1 || t2 == "" {
		t.Fatalf("after refresh: Token() = %q (was %q)", t2, t1)
	}
	_, err := c.Call(testCtx(t), "auth", "check", nil, afbproto.WithToken(t1))
	var ce *afbproto.CallError
	if !errors.As(err, &ce) || ce.Status != afbproto.StatusDenied || ce.Info != afbproto.InfoInvalidToken {
		t.Fatalf("check(T1) after refresh: %v, want denied / invalid token's identity", err)
	}
	if ce.Reply == nil || ce.Reply.Status != afbproto.StatusDenied {
		t.Errorf("CallError.Reply = %+v", ce.Reply)
	}
	mustCall(t, c, "auth", "check", nil, afbproto.WithToken(t2))
	if c.Token() != t2 {
		t.Errorf("a per-call token changed Token() to %q", c.Token())
	}
}

// The uuid of a session created by the upgrade is tracked, and a second
// client joins the same session with it.
func TestWSUUIDTracked(t *testing.T) {
	b := startBinder(t, afbproto.Options{Token: afbproto.FixedToken("HELLO")})
	c := dial(t, b.wsURL(), afbproto.ClientOptions{Token: "HELLO"})
	r := mustCall(t, c, "hello", "session", nil)
	var s struct{ UUID string }
	if err := json.Unmarshal(r.Response, &s); err != nil || s.UUID == "" {
		t.Fatalf("hello/session: %s %v", r.Response, err)
	}
	if c.UUID() != s.UUID {
		t.Fatalf("UUID() = %q, session %q", c.UUID(), s.UUID)
	}
	mustCall(t, c, "auth", "connect", nil)
	c2 := dial(t, b.wsURL(), afbproto.ClientOptions{UUID: c.UUID(), Token: c.Token()})
	r2 := mustCall(t, c2, "hello", "session", nil)
	if err := json.Unmarshal(r2.Response, &s); err != nil || s.UUID != c.UUID() {
		t.Fatalf("second client in session %s, want %q", r2.Response, c.UUID())
	}
}

func TestWSDialRefused(t *testing.T) {
	b := startBinder(t, afbproto.Options{Token: afbproto.FixedToken("HELLO")})
	_, err := afbproto.Dial(testCtx(t), b.wsURL(), afbproto.ClientOptions{Token: "WRONG"})
	var he *afbproto.HTTPError
	if !errors.As(err, &he) || he.StatusCode != 401 || afbproto.HTTPStatus(err) != 401 {
		t.Fatalf("dial with a wrong token: %v, want HTTP 401", err)
	}
}

func TestWSUnknownVerbIsCallError(t *testing.T) {
	b := startBinder(t, afbproto.Options{Token: afbproto.AnyToken()})
	c := dial(t, b.wsURL(), afbproto.ClientOptions{})
	_, err := c.Call(testCtx(t), "hello", "nosuchverb", nil)
	var ce *afbproto.CallError
	if !errors.As(err, &ce) || ce.Status != afbproto.StatusUnknownVerb || errors.Is(err, afbproto.ErrDisconnected) {
		t.Fatalf("err = %v, want unknown-verb", err)
	}
	mustCall(t, c, "hello", "ping", nil) // the connection is still fine
}

func TestWSBadNamesAndArgs(t *testing.T) {
	b := startBinder(t, afbproto.Options{Token: afbproto.AnyToken()})
	c := dial(t, b.wsURL(), afbproto.ClientOptions{})
	ctx := testCtx(t)
	for _, tc := range []struct {
		api, verb string
		args      any
		opts      []afbproto.CallOption
		want      error
	}{
		{"", "ping", nil, nil, afbproto.ErrBadName},
		{"hello", "", nil, nil, afbproto.ErrBadName},
		{"hello", "/ping", nil, nil, afbproto.ErrBadName},
		{"hel\"lo", "ping", nil, nil, afbproto.ErrBadName},
		{"hello", "pi\nng", nil, nil, afbproto.ErrBadName},
		{"hello", "ping", nil, []afbproto.CallOption{afbproto.WithToken(`a"b`)}, afbproto.ErrBadName},
		{"hello", "ping", json.RawMessage(`{bad`), nil, afbproto.ErrBadArgs},
		{"hello", "ping", func() {}, nil, afbproto.ErrBadArgs},
	} {
		if _, err := c.Call(ctx, tc.api, tc.verb, tc.args, tc.opts...); !errors.Is(err, tc.want) {
			t.Errorf("Call(%q, %q): %v, want %v", tc.api, tc.verb, err, tc.want)
		}
	}
	mustCall(t, c, "hello", "ping", nil) // nothing was sent
}

// When the server hangs up, the pending calls fail locally with
// "disconnected" / "server hung up", as libafbwsc does, and so do later
// calls.
func TestWSDisconnectFailsPending(t *testing.T) {
	got := make(chan struct{})
	url := fakeWS(t, func(ctx context.Context, c *wsconn.Conn) {
		for range 3 {
			if _, err := readCall(ctx, c); err != nil {
				return
			}
		}
		close(got)
		c.CloseNow() // hang up without a close frame
	})
	c := dial(t, url, afbproto.ClientOptions{})
	ctx := testCtx(t)
	errc := make(chan error, 3)
	for range 3 {
		go func() { _, err := c.Call(ctx, "hello", "ping", nil); errc <- err }()
	}
	<-got
	for range 3 {
		err := <-errc
		var ce *afbproto.CallError
		if !errors.As(err, &ce) || ce.Status != afbproto.StatusDisconnected || ce.Info != afbproto.InfoHungUp ||
			!errors.Is(err, afbproto.ErrDisconnected) {
			t.Errorf("pending call: %v, want disconnected / server hung up", err)
		}
	}
	<-c.Done()
	if c.Err() == nil {
		t.Error("Err() is nil after the connection ended")
	}
	if _, err := c.Call(ctx, "hello", "ping", nil); !errors.Is(err, afbproto.ErrDisconnected) {
		t.Errorf("call after the end: %v", err)
	}
	if _, open := <-c.Events(); open {
		t.Error("the event channel is still open")
	}
}

func TestWSCloseFailsPending(t *testing.T) {
	b := startBinder(t, afbproto.Options{Token: afbproto.AnyToken()})
	c := dial(t, b.wsURL(), afbproto.ClientOptions{})
	ctx := testCtx(t)
	errc := make(chan error, 1)
	go func() { _, err := c.Call(ctx, "hello", "sleep", map[string]int{"ms": 60000}); errc <- err }()
	// Wait until the call is surely pending: a later call on the same
	// socket has been answered.
	mustCall(t, c, "hello", "ping", nil)
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	err := <-errc
	if !errors.Is(err, afbproto.ErrDisconnected) || !errors.Is(err, afbproto.ErrClientClosed) {
		t.Fatalf("pending call after Close: %v", err)
	}
	if _, open := <-c.Events(); open {
		t.Error("Close returned with the read loop running")
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// A cancelled call returns at once and frees its slot; its late reply is
// dropped and counted, and the connection goes on.
func TestWSCancelledCall(t *testing.T) {
	received := make(chan []byte)
	release := make(chan struct{})
	url := fakeWS(t, func(ctx context.Context, c *wsconn.Conn) {
		f, err := readCall(ctx, c)
		if err != nil {
			return
		}
		received <- append([]byte(nil), f.ID...)
		<-release
		_ = c.WriteText(ctx, replyTo(f.ID, `"late"`))
		f, err = readCall(ctx, c)
		if err != nil {
			return
		}
		_ = c.WriteText(ctx, replyTo(f.ID, `"second"`))
		_, _, _ = c.ReadMessage(ctx, nil)
	})
	c := dial(t, url, afbproto.ClientOptions{MaxPending: 1})
	ctx, cancel := context.WithCancel(testCtx(t))
	errc := make(chan error, 1)
	go func() { _, err := c.Call(ctx, "hello", "slow", nil); errc <- err }()
	<-received
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled call: %v", err)
	}
	close(release)
	// MaxPending is 1: this call gets the slot only if the cancelled one
	// gave it back.
	r := mustCall(t, c, "hello", "ping", nil)
	if string(r.Response) != `"second"` {
		t.Fatalf("second call got %s", r.Response)
	}
	if got := c.Stats().LateReplies; got != 1 {
		t.Errorf("LateReplies = %d, want 1", got)
	}
}

func TestWSCallIDsCountDown(t *testing.T) {
	ids := make(chan string, 2)
	url := fakeWS(t, func(ctx context.Context, c *wsconn.Conn) {
		for {
			f, err := readCall(ctx, c)
			if err != nil {
				return
			}
			ids <- string(f.ID)
			_ = c.WriteText(ctx, replyTo(f.ID, `1`))
		}
	})
	c := dial(t, url, afbproto.ClientOptions{})
	mustCall(t, c, "a", "b", nil)
	mustCall(t, c, "a", "b", nil)
	if a, b := <-ids, <-ids; a != "999999" || b != "999998" {
		t.Errorf("ids %q %q, want 999999 999998", a, b)
	}
}
