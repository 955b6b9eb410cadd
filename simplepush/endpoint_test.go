package simplepush

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestEndpointStatuses(t *testing.T) {
	ts := startServer(t, Options{})
	c := ts.dial(t)
	uaid := c.hello("")
	chid := NewChannelID()
	ep := c.register(chid)
	unknownTok, _ := ts.Tokens().Seal(uaid, NewChannelID())
	otherKey, _ := NewTokenCodec(NewTokenKey())
	forged, _ := otherKey.Seal(uaid, chid)
	for i, tc := range []struct {
		method, url, ctype, body string
		want                     int
	}{
		0:  {"GET", ep, "", "", 405},
		1:  {"POST", ep, form, "version=1", 405},
		2:  {"PUT", ts.http + DefaultEndpointPath + "garbage", form, "version=1", 404},
		3:  {"PUT", ts.http + DefaultEndpointPath + uaid + "." + chid, form, "version=1", 404},
		4:  {"PUT", ts.http + DefaultEndpointPath + forged, form, "version=1", 404},
		5:  {"PUT", ep, form, "version=abc", 400},
		6:  {"PUT", ep, form, "version=-1", 400},
		7:  {"PUT", ep, form, "version=1.5", 400},
		8:  {"PUT", ep, form, "version=18446744073709551616", 400},
		9:  {"PUT", ep, form, "version=1&data=" + strings.Repeat("x", 4097), 413},
		10: {"PUT", ep, form, "version=1&data=" + strings.Repeat("%00", 4097), 413},
		11: {"PUT", ts.http + DefaultEndpointPath + unknownTok, form, "version=1", 410},
		12: {"PUT", ep, "", "version=7", 200}, // no Content-Type
		13: {"PUT", ep + "?version=8", form, "", 200},
		14: {"PUT", ep, form, "version=9&data=" + strings.Repeat("x", 4096), 200},
	} {
		if got := put(t, tc.method, tc.url, tc.ctype, tc.body); got != tc.want {
			t.Errorf("%d: %s %s %q: %d, want %d", i, tc.method, tc.url, tc.body, got, tc.want)
		}
	}
	for _, v := range []uint64{7, 8, 9} {
		if u := c.notification(); u[0].Version != v {
			t.Fatalf("got %+v, want version %d", u, v)
		}
	}
	// Missing version: the server's UTC time in seconds.
	c.ack(chid, 9)
	c.quiet()
	ts.clock.Advance(time.Hour)
	if st := put(t, "PUT", ep, form, "data=x"); st != 200 {
		t.Fatalf("PUT without version: %d", st)
	}
	if u := c.notification(); u[0].Version != uint64(ts.clock.Now().Unix()) || u[0].Data != "x" {
		t.Fatalf("default version: %+v, want %d", u, ts.clock.Now().Unix())
	}
	// Disconnected: stored, 202.
	c.c.CloseNow()
	waitConns(t, ts, 0)
	if st := put(t, "PUT", ep, form, ""); st != 202 {
		t.Fatalf("PUT to a disconnected UA: %d", st)
	}
}

func TestFlushVersionsAndAck(t *testing.T) {
	ts := startServer(t, Options{})
	c := ts.dial(t)
	uaid := c.hello("")
	a, b := "a"+NewChannelID()[1:], "b"+NewChannelID()[1:]
	epA, epB := c.register(a), c.register(b)
	c.c.CloseNow()
	waitConns(t, ts, 0)
	for _, p := range []struct {
		ep, body string
	}{{epA, "version=5"}, {epA, "version=3"}, {epB, "version=2&data=lost"}} {
		if st := put(t, "PUT", p.ep, form, p.body); st != 202 {
			t.Fatalf("offline PUT %s: %d", p.body, st)
		}
	}
	c = ts.dial(t)
	c.hello(uaid, a, b)
	got := c.notification()
	want := []Update{{ChannelID: a, Version: 5}, {ChannelID: b, Version: 2}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("flush %+v, want %+v (highest version only, no stored data)", got, want)
	}
	// An ack of an older version does not clear a newer one, and an ack
	// does not make the server repeat what this socket was already sent:
	// what is left waits for the retransmission timer or the next hello.
	c.ack(a, 4)
	c.quiet()
	c.c.CloseNow()
	waitConns(t, ts, 0)
	c = ts.dial(t)
	c.hello(uaid, a, b)
	if got := c.notification(); len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("hello after an old ack: %+v, want %+v", got, want)
	}
	c.ack(a, 5)
	c.ack(b, 2)
	c.quiet()
	// Acked updates are never sent again.
	c.c.CloseNow()
	c = ts.dial(t)
	c.hello(uaid, a, b)
	c.quiet()
}

func TestRetransmitOnLiveSocket(t *testing.T) {
	ts := startServer(t, Options{})
	c := ts.dial(t)
	c.hello("")
	chid := NewChannelID()
	ep := c.register(chid)
	put(t, "PUT", ep, form, "version=1&data=d")
	if u := c.notification(); u[0].Data != "d" {
		t.Fatalf("%+v", u)
	}
	ts.clock.Advance(DefaultRetransmitInterval - time.Second)
	c.quiet()
	ts.clock.Advance(time.Second)
	if u := c.notification(); len(u) != 1 || u[0].Version != 1 {
		t.Fatalf("retransmission %+v", u)
	}
	ts.clock.Advance(DefaultRetransmitInterval)
	c.notification()
	c.ack(chid, 1)
	c.quiet()
	ts.clock.Advance(DefaultRetransmitInterval)
	c.quiet()
	if n := ts.Stats().Retransmitted; n != 2 {
		t.Fatalf("retransmitted %d", n)
	}
}

func TestUnregisterStopsQueuedUpdates(t *testing.T) {
	ts := startServer(t, Options{})
	c := ts.dial(t)
	uaid := c.hello("")
	chid := NewChannelID()
	ep := c.register(chid)
	put(t, "PUT", ep, form, "version=1")
	c.notification() // not acked
	c.send(`{"messageType":"unregister","channelID":"` + chid + `"}`)
	c.recv()
	ts.clock.Advance(DefaultRetransmitInterval)
	c.quiet()
	c.c.CloseNow()
	c = ts.dial(t)
	c.hello(uaid, chid)
	c.quiet()
}

func TestBusyWhileInFlight(t *testing.T) {
	ts := startServer(t, Options{BusyWhileInFlight: true})
	c := ts.dial(t)
	c.hello("")
	chid := NewChannelID()
	ep := c.register(chid)
	if st := put(t, "PUT", ep, form, "version=1"); st != 200 {
		t.Fatal(st)
	}
	c.notification()
	if st := put(t, "PUT", ep, form, "version=2"); st != 503 {
		t.Fatalf("PUT while in flight: %d", st)
	}
	c.ack(chid, 1)
	c.quiet()
	if st := put(t, "PUT", ep, form, "version=2"); st != 200 {
		t.Fatalf("PUT after ack: %d", st)
	}
}

// TestWakeupUDP: offline, kicked over UDP, reconnects, receives.
func TestWakeupUDP(t *testing.T) {
	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	port := udp.LocalAddr().(*net.UDPAddr).Port
	driver := &UDPWakeup{}
	defer driver.Close()
	ts := startServer(t, Options{Wakeup: driver})
	c := ts.dial(t)
	c.send(`{"messageType":"hello","uaid":"","channelIDs":[],"interface":{"ip":"127.0.0.1","port":` + itoa(port) + `},"protocol":"udp"}`)
	uaid := c.recv().UAID
	chid := NewChannelID()
	ep := c.register(chid)
	c.c.CloseNow()
	waitConns(t, ts, 0)
	if st := put(t, "PUT", ep, form, "version=42"); st != 202 {
		t.Fatalf("PUT: %d", st)
	}
	_ = udp.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 64)
	n, _, err := udp.ReadFrom(buf)
	if err != nil || string(buf[:n]) != "wakeup" {
		t.Fatalf("kick: %q %v", buf[:n], err)
	}
	c = ts.dial(t)
	c.hello(uaid, chid)
	if u := c.notification(); len(u) != 1 || u[0].Version != 42 {
		t.Fatalf("after wake-up: %+v", u)
	}
	if ts.Stats().Wakeups != 1 {
		t.Fatalf("stats %+v", ts.Stats())
	}
}

func TestUDPTargets(t *testing.T) {
	for i, tc := range []struct {
		w    Wakeup
		want string
	}{
		{Wakeup{Interface: []byte(`{"ip":"127.0.0.1","port":9}`)}, "127.0.0.1:9"},
		{Wakeup{Connect: []byte(`{"type":"udp","ip":"::1","port":"99"}`)}, "[::1]:99"},
		{Wakeup{Wakeup: []byte(`{"ip":"10.0.0.1","port":1}`)}, "10.0.0.1:1"},
		{Wakeup{Connect: []byte(`{"type":"gcm","regid":"x"}`)}, ""},
		{Wakeup{Interface: []byte(`{"ip":"example.com","port":9}`)}, ""},
		{Wakeup{Interface: []byte(`{"ip":"127.0.0.1","port":0}`)}, ""},
		{Wakeup{Interface: []byte(`{"ip":"127.0.0.1","port":9}`), Protocol: "tcp"}, ""},
	} {
		got, err := udpTarget(&tc.w)
		if tc.want == "" {
			if err == nil {
				t.Errorf("%d: accepted %v", i, got)
			}
			continue
		}
		if err != nil || got.String() != tc.want {
			t.Errorf("%d: %v %v, want %s", i, got, err, tc.want)
		}
	}
	u := &UDPWakeup{}
	defer u.Close()
	for _, ip := range []string{"0.0.0.0", "224.0.0.1", "255.255.255.255"} {
		if err := u.Wake(context.Background(), "", &Wakeup{Interface: []byte(`{"ip":"` + ip + `","port":9}`)}); err == nil {
			t.Errorf("sent a wake-up to %s", ip)
		}
	}
}

// TestMultiNode: two servers sharing a store and a bus; a PUT to either
// reaches the socket, and a newer hello on one node closes the socket on
// the other.
func TestMultiNode(t *testing.T) {
	store, bus, key := NewMemoryStore(MemoryStoreOptions{}), NewMemoryBus(), NewTokenKey()
	a := startServer(t, Options{Store: store, Bus: bus, Node: "a", TokenKey: key})
	b := startServer(t, Options{Store: store, Bus: bus, Node: "b", TokenKey: key})
	c := a.dial(t)
	uaid := c.hello("")
	chid := NewChannelID()
	ep := c.register(chid)
	viaB := b.http + ep[strings.Index(ep, DefaultEndpointPath):]
	if st := put(t, "PUT", viaB, form, "version=3"); st != 200 {
		t.Fatalf("PUT via the other node: %d", st)
	}
	if u := c.notification(); u[0].Version != 3 {
		t.Fatalf("%+v", u)
	}
	if b.Stats().Routed != 1 {
		t.Fatalf("b stats %+v", b.Stats())
	}
	d := b.dial(t)
	d.hello(uaid, chid)
	d.notification() // version 3, unacked
	c.closed()
	if st := put(t, "PUT", ep, form, "version=4"); st != 200 {
		t.Fatalf("PUT after moving nodes: %d", st)
	}
	if u := d.notification(); u[0].Version != 4 {
		t.Fatalf("%+v", u)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestResendPendingOnAck: the upstream behaviour, on request: every ack
// re-flushes what is still pending, the updates this socket already got
// included.
func TestResendPendingOnAck(t *testing.T) {
	for _, resend := range []bool{false, true} {
		ts := startServer(t, Options{ResendPendingOnAck: resend})
		c := ts.dial(t)
		c.hello("")
		a, b := NewChannelID(), NewChannelID()
		epA, epB := c.register(a), c.register(b)
		for _, ep := range []string{epA, epB} {
			if st := put(t, "PUT", ep, form, "version=1"); st != 200 {
				t.Fatalf("PUT: %d", st)
			}
			if got := c.notification(); len(got) != 1 || got[0].Version != 1 {
				t.Fatalf("direct delivery: %+v", got)
			}
		}
		c.ack(a, 1)
		if !resend {
			c.quiet()
			continue
		}
		if got := c.notification(); len(got) != 1 || got[0] != (Update{ChannelID: b, Version: 1}) {
			t.Fatalf("resend after ack: %+v, want b v1 again", got)
		}
	}
}
