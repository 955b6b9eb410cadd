package simplepush

import (
	"fmt"
	"strings"
	"testing"
)

func TestHelloUAIDRules(t *testing.T) {
	ts := startServer(t, Options{MaxChannels: 3})
	known := ts.dial(t).hello("")
	knownCh := NewChannelID()
	{
		c := ts.dial(t)
		c.hello(known)
		c.register(knownCh)
	}
	fresh := NewUAID()
	for i, tc := range []struct {
		hello string
		keep  string // "" means a new uaid is expected
	}{
		0:  {`{"messageType":"hello","uaid":"","channelIDs":[]}`, ""},
		1:  {`{"messageType":"hello","channelIDs":[]}`, ""},
		2:  {`{"messageType":"hello","uaid":null,"channelIDs":[]}`, ""},
		3:  {`{"messageType":"hello","uaid":"invalid_uaid","channelIDs":[]}`, ""},
		4:  {`{"messageType":"hello","uaid":"0","channelIDs":[]}`, ""},
		5:  {`{"messageType":"hello","uaid":" fooey barrey ","channelIDs":[]}`, ""},
		6:  {`{"messageType":"hello","uaid":"` + strings.Repeat("a", 64000) + `","channelIDs":[]}`, ""},
		7:  {`{"messageType":"hello","uaid":"` + fresh + `","channelIDs":[]}`, fresh},     // unknown, no channels: kept
		8:  {`{"messageType":"hello","uaid":"` + NewUAID() + `","channelIDs":["x"]}`, ""}, // unknown with channels
		9:  {`{"messageType":"hello","uaid":"` + strings.ToUpper(known) + `","channelIDs":["` + knownCh + `"]}`, known},
		10: {`{"messageType":"hello","uaid":"` + known[:8] + "-" + known[8:12] + "-" + known[12:16] + "-" + known[16:20] + "-" + known[20:] + `","channelIDs":[1,true]}`, known},
		11: {`{"messageType":"HELLO","uaiD":"` + known + `","ChannelIDs":[]}`, known},
	} {
		c := ts.dial(t)
		c.send(tc.hello)
		r := c.recv()
		if r.Type != TypeHello || r.Status != 200 {
			t.Fatalf("%d: %+v", i, r)
		}
		if tc.keep != "" && r.UAID != tc.keep || tc.keep == "" && (r.UAID == known || r.UAID == fresh || len(r.UAID) != 32) {
			t.Errorf("%d: uaid %s, want %q", i, r.UAID, tc.keep)
		}
		c.c.CloseNow()
	}
	// Over MaxChannels: new uaid, and the old records are dropped.
	c := ts.dial(t)
	c.send(`{"messageType":"hello","uaid":"` + known + `","channelIDs":["a","b","c","d"]}`)
	if r := c.recv(); r.UAID == known || r.Status != 200 {
		t.Fatalf("too many channels: %+v", r)
	}
	if st, _, _ := ts.opts.Store.Channel(t.Context(), known, knownCh); st != StateNone {
		t.Fatalf("old uaid's channel survived the reset: %v", st)
	}
}

func TestHelloErrors(t *testing.T) {
	ts := startServer(t, Options{})
	for i, tc := range []struct{ in, want string }{
		{`{"messageType":"hello","uaid":""}`, `"error":"Missing one or more required command fields"`},
		{`{"messageType":"hello","uaid":5,"channelIDs":[]}`, `"status":401`},
		{`{"messageType":"hello","uaid":true,"channelIDs":[]}`, `"status":401`},
		{`{"messageType":"bogus"}`, `"error":"Unsupported command type"`},
		{`{" messageType ":"hello"}`, `"status":401`},
	} {
		c := ts.dial(t)
		c.send(tc.in)
		if got := c.recvRaw(); !strings.Contains(got, tc.want) {
			t.Errorf("%d: %s, want %s", i, got, tc.want)
		}
		c.closed()
	}
	c := ts.dial(t)
	c.send(`not json`)
	c.closed() // no reply
}

func TestDuplicateHello(t *testing.T) {
	ts := startServer(t, Options{})
	c := ts.dial(t)
	u := c.hello("")
	for _, again := range []string{`""`, `"` + u + `"`} {
		c.send(`{"messageType":"hello","uaid":` + again + `,"channelIDs":[]}`)
		if r := c.recv(); r.Status != 200 || r.UAID != u {
			t.Fatalf("repeated hello %s: %+v", again, r)
		}
	}
	c.send(`{"messageType":"hello","uaid":"` + NewUAID() + `","channelIDs":[]}`)
	if r := c.recv(); r.Status != 503 || !strings.Contains(r.Error, "already assigned") {
		t.Fatalf("hello with another uaid: %+v", r)
	}
	c.closed()

	ap := startServer(t, Options{Dialect: DialectAutopush})
	c = ap.dial(t)
	c.hello("")
	c.send(`{"messageType":"hello","uaid":"","channelIDs":[]}`)
	if r := c.recv(); r.Status != 401 || r.Reason != "duplicate hello" {
		t.Fatalf("autopush duplicate hello: %+v", r)
	}
	c.quiet() // still open
}

func TestAutopushUAIDForm(t *testing.T) {
	ap := startServer(t, Options{Dialect: DialectAutopush})
	first := ap.dial(t)
	u := first.hello("")
	first.c.CloseNow()
	for _, tc := range []struct {
		uaid string
		keep bool
	}{{u, true}, {strings.ToUpper(u), false}, {u[:8] + "-" + u[8:12] + "-" + u[12:16] + "-" + u[16:20] + "-" + u[20:], false}, {NewUAID(), false}} {
		c := ap.dial(t)
		got := c.hello(tc.uaid)
		if (got == u) != tc.keep {
			t.Errorf("autopush hello %s: got %s", tc.uaid, got)
		}
		c.c.CloseNow()
	}
	// autopush: a non-hello before hello closes without a reply.
	c := ap.dial(t)
	c.send(`{"messageType":"register","channelID":"` + NewChannelID() + `"}`)
	c.closed()
}

func TestNewestSocketWins(t *testing.T) {
	ts := startServer(t, Options{})
	a := ts.dial(t)
	u := a.hello("")
	chid := NewChannelID()
	ep := a.register(chid)
	b := ts.dial(t)
	b.hello(u, chid)
	a.closed()
	if st := put(t, "PUT", ep, form, "version=1"); st != 200 {
		t.Fatalf("PUT: %d", st)
	}
	if up := b.notification(); len(up) != 1 || up[0].Version != 1 {
		t.Fatalf("newest socket got %+v", up)
	}
}

func TestBeforeHello(t *testing.T) {
	ts := startServer(t, Options{})
	for _, msg := range []string{
		`{"messageType":"register","channelID":"` + NewChannelID() + `"}`,
		`{"messageType":"unregister","channelID":"` + NewChannelID() + `"}`,
		`{"messageType":"ack","updates":[{"channelID":"x","version":1}]}`,
	} {
		c := ts.dial(t)
		c.send(`{}`) // pings are answered before hello
		if got := c.recvRaw(); got != `{}` {
			t.Fatalf("pong before hello: %s", got)
		}
		c.send(msg)
		got := c.recvRaw()
		if !strings.Contains(got, `"status":401`) || !strings.Contains(got, `"error":"Command requires handshake"`) {
			t.Fatalf("%s before hello: %s", msg, got)
		}
		c.closed()
	}
}

func TestHelloTimeout(t *testing.T) {
	ts := startServer(t, Options{})
	slow, quick := ts.dial(t), ts.dial(t)
	quick.hello("")
	slow.send(`{}`) // pings do not extend it
	slow.recvRaw()
	waitConns(t, ts, 2)
	ts.clock.Advance(DefaultHelloTimeout)
	slow.closed()
	quick.quiet()
}

// waitConns waits until the server holds n sockets (its side of a
// handshake or a close runs after the client's returns).
func waitConns(t *testing.T, ts *testServer, n int) {
	t.Helper()
	for i := 0; ts.Stats().Conns != n; i++ {
		if i > 5000 {
			t.Fatalf("conns %d, want %d", ts.Stats().Conns, n)
		}
		sleepTick()
	}
}

func TestPingRate(t *testing.T) {
	for _, tc := range []struct {
		d        Dialect
		interval int
	}{{DialectPushgo, 20}, {DialectAutopush, 55}} {
		t.Run(tc.d.String(), func(t *testing.T) {
			ts := startServer(t, Options{Dialect: tc.d})
			c := ts.dial(t)
			c.hello("")
			c.quiet()
			ts.clock.Advance(secs(tc.interval))
			c.quiet()
			ts.clock.Advance(secs(tc.interval - 1))
			c.send(`{}`)
			if tc.d == DialectAutopush {
				if code := c.closed(); code != CloseNoReconnect {
					t.Fatalf("close code %d", code)
				}
				return
			}
			if r := c.recv(); r.Status != 401 || r.Error != "Client sent too many pings" {
				t.Fatalf("fast ping: %+v", r)
			}
			c.closed()
		})
	}
}

func TestTypedPingAndPurge(t *testing.T) {
	ts := startServer(t, Options{MinPingInterval: -1})
	c := ts.dial(t)
	c.hello("")
	for _, p := range []string{`{"messageType":"ping"}`, `{"messageType":"PING"}`, `{"messageType":"Ping"}`} {
		c.send(p)
		if got := c.recvRaw(); got != `{"messageType":"ping","status":200}` {
			t.Fatalf("%s: %s", p, got)
		}
	}
	c.send(`{"messageType":"purge"}`)
	c.quiet()
	long := startServer(t, Options{LongPongs: true})
	c = long.dial(t)
	c.send(`{}`)
	if got := c.recvRaw(); got != `{"messageType":"ping","status":200}` {
		t.Fatalf("long pong: %s", got)
	}
}

func TestRegisterUnregister(t *testing.T) {
	ts := startServer(t, Options{})
	c := ts.dial(t)
	c.hello("")
	chid := NewChannelID()
	ep1, ep2 := c.register(chid), c.register(chid) // idempotent
	if put(t, "PUT", ep1, form, "version=1") != 200 || put(t, "PUT", ep2, form, "version=2") != 200 {
		t.Fatal("both endpoints should work")
	}
	c.notification()
	c.notification()
	c.register(strings.ToUpper(NewUAID())) // 32 hex, any case
	for i := range 2 {
		c.send(`{"messageType":"unregister","channelID":"` + chid + `"}`)
		if r := c.recv(); r.Status != 200 || r.ChannelID != chid {
			t.Fatalf("unregister %d: %+v", i, r)
		}
	}
	c.send(`{"messageType":"unregister","channelID":"` + NewChannelID() + `"}`)
	if r := c.recv(); r.Status != 200 {
		t.Fatalf("unregister of an unknown channel: %+v", r)
	}
	if st := put(t, "PUT", ep1, form, "version=3"); st != 410 {
		t.Fatalf("PUT after unregister: %d", st)
	}
	for i, bad := range []string{`"invalid_uaid"`, `" fooey barrey "`, `"0"`, `"-66000"`, `-66000`, `true`, `null`, `"\u0000"`, `"` + strings.Repeat("ab", 16) + `x"`} {
		for _, typ := range []string{"register", "unregister"} {
			c := ts.dial(t)
			c.hello("")
			c.send(fmt.Sprintf(`{"messageType":%q,"channelID":%s}`, typ, bad))
			if r := c.recvRaw(); !strings.Contains(r, `"status":401`) {
				t.Errorf("%d %s %s: %s", i, typ, bad, r)
			}
			c.closed()
		}
	}
}

func TestAutopushRegisterErrorsKeepSocket(t *testing.T) {
	ap := startServer(t, Options{Dialect: DialectAutopush})
	c := ap.dial(t)
	c.hello("")
	c.send(`{"messageType":"register","channelID":"` + strings.ToUpper(NewChannelID()) + `"}`)
	if r := c.recv(); r.Status != 401 || r.Reason == "" {
		t.Fatalf("%+v", r)
	}
	c.register(NewChannelID())
}

func TestFramingRules(t *testing.T) {
	ts := startServer(t, Options{MaxMessageSize: 1024})
	c := ts.dial(t)
	c.hello("")
	// Fragmented text message and a ping in between.
	frag := []byte{0x01, 0x80 | 1, 0, 0, 0, 0, '{'} // text, not final, "{", zero mask
	ping := []byte{0x89, 0x80, 0, 0, 0, 0}
	last := []byte{0x80, 0x80 | 1, 0, 0, 0, 0, '}'}
	for _, b := range [][]byte{frag, ping, last} {
		if err := c.c.WriteRaw(ctx5(t), b); err != nil {
			t.Fatal(err)
		}
	}
	if got := c.recvRaw(); got != `{}` {
		t.Fatalf("pong to a fragmented ping: %s", got)
	}
	c.send(`{"messageType":"hello","uaid":"` + strings.Repeat("a", 2000) + `","channelIDs":[]}`)
	if code := c.closed(); code != 1009 {
		t.Fatalf("oversized message: close %d", code)
	}
	c = ts.dial(t)
	_ = c.c.WriteRaw(ctx5(t), []byte{0x81, 0x02, '{', '}'}) // unmasked client frame
	if code := c.closed(); code != 1002 {
		t.Fatalf("unmasked frame: close %d", code)
	}
}
