package simplepush

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/appwire/appwire/internal/testserver"
)

func dialClient(t *testing.T, ts *testServer, opts ClientOptions) *Client {
	t.Helper()
	if opts.BackoffMin == 0 {
		opts.BackoffMin = time.Millisecond
	}
	c, err := Dial(ctx5(t), ts.ws, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func next(t *testing.T, c *Client) Notification {
	t.Helper()
	select {
	case n := <-c.Notifications():
		return n
	case <-ctx5(t).Done():
		t.Fatal("no notification")
	}
	return Notification{}
}

// until polls cond (the client works on its own goroutines) for up to 5 s.
func until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); !cond(); sleepTick() {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// drop breaks the client's socket as a network failure would.
func drop(c *Client) {
	c.mu.Lock()
	s := c.cur
	c.mu.Unlock()
	if s != nil {
		s.ws.CloseNow()
	}
}

// register retries across a reconnection.
func register(t *testing.T, c *Client, chid string) string {
	t.Helper()
	for {
		ep, err := c.Register(ctx5(t), chid)
		if errors.Is(err, ErrConnectionLost) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		return ep
	}
}

func TestClientRegisterNotify(t *testing.T) {
	ts := startServer(t, Options{})
	c := dialClient(t, ts, ClientOptions{})
	if len(c.UAID()) != 32 {
		t.Fatalf("uaid %q", c.UAID())
	}
	chid := NewChannelID()
	ep := register(t, c, chid)
	st, err := NotifyEndpoint(ctx5(t), nil, ep, 5, "hi there")
	if err != nil || st != Delivered {
		t.Fatalf("got %v %v, want delivered", st, err)
	}
	if n := next(t, c); n != (Notification{ChannelID: chid, Version: 5, Data: "hi there"}) {
		t.Fatalf("got %+v", n)
	}
	if got := c.Channels(); got[chid] != ep {
		t.Fatalf("channels %v", got)
	}
	if err := c.Unregister(ctx5(t), chid); err != nil {
		t.Fatal(err)
	}
	if _, err := NotifyEndpoint(ctx5(t), nil, ep, 6, ""); !errors.Is(err, ErrUnknownChannel) {
		t.Fatalf("PUT after unregister: %v, want ErrUnknownChannel", err)
	}
}

func TestClientRegisterGeneratesAndRejects(t *testing.T) {
	ts := startServer(t, Options{})
	c := dialClient(t, ts, ClientOptions{})
	if ep := register(t, c, ""); !strings.HasPrefix(ep, ts.http+DefaultEndpointPath) {
		t.Fatalf("endpoint %q", ep)
	}
	var re *ReplyError
	if _, err := c.Register(ctx5(t), "not a uuid"); !errors.As(err, &re) || re.Status != 401 || !errors.Is(err, ErrInvalidParams) {
		t.Fatalf("got %v, want a 401 ReplyError matching ErrInvalidParams", err)
	}
	// pushgo closed the socket after the error: the client comes back.
	register(t, c, "")
	until(t, "a reconnection", func() bool { return c.Stats().Reconnects == 1 })
}

func TestClientResumesSameUAID(t *testing.T) {
	ts := startServer(t, Options{})
	c := dialClient(t, ts, ClientOptions{ManualAck: true})
	uaid := c.UAID()
	chid := NewChannelID()
	ep := register(t, c, chid)
	if st, err := NotifyEndpoint(ctx5(t), nil, ep, 1, "x"); st != Delivered || err != nil {
		t.Fatalf("%v %v", st, err)
	}
	n := next(t, c)
	drop(c)
	register(t, c, NewChannelID()) // waits for the new socket
	if c.UAID() != uaid || c.Stats().Reconnects != 1 || c.Stats().Resets != 0 {
		t.Fatalf("uaid %s (was %s), stats %+v", c.UAID(), uaid, c.Stats())
	}
	// The unacked update came again with the hello flush; it is not
	// handed over twice.
	until(t, "the resend", func() bool { return c.Stats().Duplicates >= 1 })
	if err := c.Ack(ctx5(t), n); err != nil {
		t.Fatal(err)
	}
	if st, err := NotifyEndpoint(ctx5(t), nil, ep, 2, ""); st != Delivered || err != nil {
		t.Fatalf("%v %v", st, err)
	}
	if n := next(t, c); n.Version != 2 {
		t.Fatalf("got %+v, want version 2", n)
	}
}

func TestClientUAIDReset(t *testing.T) {
	st := NewMemoryStore(MemoryStoreOptions{})
	ts := startServer(t, Options{Store: st})
	resets := make(chan Reset, 1)
	c := dialClient(t, ts, ClientOptions{OnReset: func(r Reset) { resets <- r }})
	old := c.UAID()
	chid := NewChannelID()
	oldEP := register(t, c, chid)
	if err := st.DropUser(ctx5(t), old); err != nil {
		t.Fatal(err)
	}
	drop(c) // hello with an unknown uaid and a channel: the server resets
	var r Reset
	select {
	case r = <-resets:
	case <-ctx5(t).Done():
		t.Fatal("no reset")
	}
	if r.OldUAID != old || r.NewUAID == old || r.NewUAID != c.UAID() || r.Endpoints[chid] == "" || len(r.Failed) != 0 {
		t.Fatalf("reset %+v, uaid %s", r, c.UAID())
	}
	if _, err := NotifyEndpoint(ctx5(t), nil, oldEP, 3, ""); !errors.Is(err, ErrUnknownChannel) {
		t.Fatalf("old endpoint: %v, want ErrUnknownChannel", err)
	}
	if s, err := NotifyEndpoint(ctx5(t), nil, r.Endpoints[chid], 3, ""); s != Delivered || err != nil {
		t.Fatalf("new endpoint: %v %v", s, err)
	}
	if n := next(t, c); n.ChannelID != chid || n.Version != 3 {
		t.Fatalf("got %+v", n)
	}
}

func TestClientSlowConsumerDropsAreResent(t *testing.T) {
	ts := startServer(t, Options{})
	c := dialClient(t, ts, ClientOptions{NotificationBuffer: 1})
	a, b := NewChannelID(), NewChannelID()
	epA, epB := register(t, c, a), register(t, c, b)
	for _, ep := range []string{epA, epB} {
		if s, err := NotifyEndpoint(ctx5(t), nil, ep, 7, ""); s != Delivered || err != nil {
			t.Fatalf("%v %v", s, err)
		}
	}
	until(t, "a drop", func() bool { return c.Stats().Dropped >= 1 })
	if n := next(t, c); n.ChannelID != a {
		t.Fatalf("got %+v, want %s first", n, a)
	}
	// b was never acked: the server sends it again on the next hello.
	drop(c)
	if n := next(t, c); n.ChannelID != b || n.Version != 7 {
		t.Fatalf("got %+v, want %s version 7", n, b)
	}
}

func TestClientPings(t *testing.T) {
	ts := startServer(t, Options{MinPingInterval: -1})
	c := dialClient(t, ts, ClientOptions{pingInterval: time.Millisecond})
	until(t, "two pings answered", func() bool { return c.Stats().Pings >= 2 })
	if c.Stats().Reconnects != 0 {
		t.Fatalf("pings broke the connection: %+v", c.Stats())
	}
}

func TestClientPingIntervalFloor(t *testing.T) {
	if o := (ClientOptions{PingInterval: time.Second}).withDefaults(); o.PingInterval != MinClientPingInterval {
		t.Fatalf("ping interval %v, want the spec's minimum %v", o.PingInterval, MinClientPingInterval)
	}
}

func TestClientClose(t *testing.T) {
	ts := startServer(t, Options{})
	c := dialClient(t, ts, ClientOptions{})
	ep := register(t, c, "")
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-c.Notifications(); ok {
		t.Fatal("Notifications not closed")
	}
	if _, err := c.Register(ctx5(t), ""); !errors.Is(err, ErrClientClosed) {
		t.Fatalf("Register after Close: %v", err)
	}
	until(t, "the server to see the close", func() bool { return ts.Stats().Helloed == 0 })
	if s, err := NotifyEndpoint(ctx5(t), nil, ep, 1, ""); s != Stored || err != nil {
		t.Fatalf("got %v %v, want stored", s, err)
	}
}

func TestNotifyEndpointErrors(t *testing.T) {
	ts := startServer(t, Options{})
	c := dialClient(t, ts, ClientOptions{})
	ep := register(t, c, "")
	var ne *NotifyError
	if _, err := NotifyEndpoint(ctx5(t), nil, ts.http+DefaultEndpointPath+"garbage", 1, ""); !errors.Is(err, ErrBadToken) || !errors.As(err, &ne) || ne.StatusCode != 404 {
		t.Fatalf("bad token: %v", err)
	}
	if _, err := NotifyEndpoint(ctx5(t), nil, ep, 1, strings.Repeat("x", DefaultMaxDataLen+1)); !errors.Is(err, ErrDataTooLong) {
		t.Fatalf("data too long: %v", err)
	}
	if s, err := NotifyEndpoint(ctx5(t), nil, ep, 0, ""); s != Delivered || err != nil {
		t.Fatalf("no version: %v %v", s, err)
	}
	if n := next(t, c); n.Version != uint64(ts.clock.Now().Unix()) {
		t.Fatalf("got version %d, want the server's time %d", n.Version, ts.clock.Now().Unix())
	}
}

func TestDialErrors(t *testing.T) {
	if _, err := Dial(ctx5(t), "ws://"+testserver.ClosedAddr(t)+"/", ClientOptions{}); err == nil {
		t.Fatal("dialing a closed port succeeded")
	}
	silent := testserver.StartHostile(t, testserver.Silent)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := Dial(ctx, "ws://"+silent+"/", ClientOptions{}); err == nil {
		t.Fatal("dialing a silent server succeeded")
	}
}
