package redisstore_test

import (
	"github.com/appwire/appwire/simplepush"
	"net/http"
	"reflect"
	"strconv"
	"testing"

	"github.com/appwire/appwire/internal/wsconn"
)

// Multi-node tests: real node processes sharing one real Redis (see
// multinode_proc_linux_test.go). A PUT may enter at any node.

// TestMultiNodeRouting: a PUT on node A reaches the user agent connected
// to node B, and A answers 200 because B wrote it to the socket.
func TestMultiNodeRouting(t *testing.T) {
	cl := newCluster(t)
	a, b := cl.start("a"), cl.start("b")
	ua := dialNode(t, b)
	ua.hello("")
	ep := ua.register("5b0ee8b4-8d5c-4b66-9d5a-f3e7f0c7b7a1")
	if st := put(t, http.MethodPut, endpointVia(t, ep, a), form, "version=5&data=hi"); st != http.StatusOK {
		t.Fatalf("PUT on A for a socket on B: %d, want 200", st)
	}
	want := []simplepush.Update{{ChannelID: "5b0ee8b4-8d5c-4b66-9d5a-f3e7f0c7b7a1", Version: 5, Data: "hi"}}
	if got := ua.notification(); !reflect.DeepEqual(got, want) {
		t.Fatalf("B delivered %v, want %v", got, want)
	}
}

// TestMultiNodeMove: a user agent that leaves node A gets, on node B,
// what was stored while it was away (202 on the PUT, flush on hello).
func TestMultiNodeMove(t *testing.T) {
	cl := newCluster(t)
	a, b := cl.start("a"), cl.start("b")
	const ch = "0d3c1c2e-5d43-4b0e-a0a1-6f2c9d1f6b11"
	ua := dialNode(t, a)
	uaid := ua.hello("")
	ep := ua.register(ch)
	if err := ua.c.Close(ctx5(t), wsconn.StatusNormalClosure, ""); err != nil {
		t.Fatal(err)
	}
	awaitState(t, "A to clear the route", func() bool {
		r, err := cl.store.Route(ctx5(t), uaid)
		return err == nil && r == simplepush.Route{}
	})
	for v, n := range []*nodeProc{a, b} {
		if st := put(t, http.MethodPut, endpointVia(t, ep, n), form, "version="+strconv.Itoa(v+1)); st != http.StatusAccepted {
			t.Fatalf("PUT on %s for an offline user agent: %d, want 202", n.Name, st)
		}
	}
	ua = dialNode(t, b)
	if got := ua.hello(uaid, ch); got != uaid {
		t.Fatalf("B gave uaid %s, want %s", got, uaid)
	}
	if got := ua.notification(); !reflect.DeepEqual(got, []simplepush.Update{{ChannelID: ch, Version: 2}}) {
		t.Fatalf("flush on B: %v", got)
	}
}

// TestMultiNodeKill: a node dies by SIGKILL with a user agent on it.
// Nothing is lost: updates PUT before the kill (delivered but unacked)
// and after it (stored, 202) all reach the user agent when it reconnects
// to another node, and what it had acked is not sent again.
func TestMultiNodeKill(t *testing.T) {
	cl := newCluster(t)
	a, b, c := cl.start("a"), cl.start("b"), cl.start("c")
	const (
		acked   = "1a1a1a1a-0000-4000-8000-000000000001" // acked before the kill
		unacked = "2b2b2b2b-0000-4000-8000-000000000002" // delivered, not acked, before
		after   = "3c3c3c3c-0000-4000-8000-000000000003" // first PUT after the kill
		reacked = "4d4d4d4d-0000-4000-8000-000000000004" // acked before, PUT again after
	)
	ua := dialNode(t, b)
	uaid := ua.hello("")
	eps := map[string]string{}
	for _, ch := range []string{acked, unacked, after, reacked} {
		eps[ch] = ua.register(ch)
	}
	for i, ch := range []string{acked, reacked, unacked} {
		v := uint64(10 + i)
		if st := put(t, http.MethodPut, endpointVia(t, eps[ch], a), form, "version="+strconv.FormatUint(v, 10)); st != http.StatusOK {
			t.Fatalf("PUT %s before the kill: %d, want 200", ch, st)
		}
		awaitUpdate(ua, ch, v)
		if ch != unacked {
			ua.ack(ch, v)
		}
	}
	awaitState(t, "the acks to reach Redis", func() bool {
		p, err := cl.store.Pending(ctx5(t), uaid, nil)
		return err == nil && reflect.DeepEqual(p, []simplepush.Update{{ChannelID: unacked, Version: 12}})
	})

	b.Kill()
	if r, _ := cl.store.Route(ctx5(t), uaid); r.Node != "b" {
		t.Fatalf("route after the kill: %v (want B's stale route)", r)
	}
	// The socket is gone with B (after what B had written: the flush that
	// answered the last ack may still be in flight).
	for rctx := ctx5(t); ; {
		if _, p, err := ua.c.ReadMessage(rctx, nil); err != nil {
			if rctx.Err() != nil || wsconn.CloseStatus(err) > 0 {
				t.Fatalf("socket of a killed node: %v", err)
			}
			break
		} else if m, err := simplepush.ParseServerMessage(p); err != nil || m.Type != simplepush.TypeNotification {
			t.Fatalf("from a killed node: %s", p)
		}
	}
	// B's route is stale: PUTs on A and C find nobody behind it.
	if st := put(t, http.MethodPut, endpointVia(t, eps[after], a), form, "version=20"); st != http.StatusAccepted {
		t.Fatalf("PUT after the kill: %d, want 202", st)
	}
	if st := put(t, http.MethodPut, endpointVia(t, eps[reacked], c), form, "version=21"); st != http.StatusAccepted {
		t.Fatalf("PUT after the kill: %d, want 202", st)
	}

	ua = dialNode(t, c)
	if got := ua.hello(uaid, acked, unacked, after, reacked); got != uaid {
		t.Fatalf("C gave uaid %s, want %s", got, uaid)
	}
	want := []simplepush.Update{{ChannelID: unacked, Version: 12}, {ChannelID: after, Version: 20}, {ChannelID: reacked, Version: 21}}
	if got := ua.notification(); !reflect.DeepEqual(got, want) {
		t.Fatalf("flush on C after B's crash: %v, want %v", got, want)
	}
	m := simplepush.ClientMessage{Type: simplepush.TypeAck, Updates: want, HasUpdates: true}
	ua.send(string(m.Append(nil)))
	// The cluster works on: C now holds the route, a PUT on A reaches it.
	if st := put(t, http.MethodPut, endpointVia(t, eps[acked], a), form, "version=30"); st != http.StatusOK {
		t.Fatalf("PUT on A for the socket on C: %d, want 200", st)
	}
	awaitUpdate(ua, acked, 30)
}

// awaitUpdate reads notifications until one carries version v of ch. An
// ack answers with a flush of what is still pending, so a notification
// may come twice (direct, then flushed); versions before v may repeat,
// anything newer or foreign fails the test.
func awaitUpdate(ua *client, ch string, v uint64) {
	ua.t.Helper()
	for {
		for _, u := range ua.notification() {
			if u.ChannelID == ch && u.Version == v {
				return
			}
			if u.Version >= v {
				ua.t.Fatalf("got %+v while waiting for %s v%d", u, ch, v)
			}
		}
	}
}

// TestMultiNodeNewestSocketWins: the same uaid connects on A, then on B;
// B's hello evicts A's socket over the bus, and updates go to B.
func TestMultiNodeNewestSocketWins(t *testing.T) {
	cl := newCluster(t)
	a, b := cl.start("a"), cl.start("b")
	const ch = "9e9e9e9e-0000-4000-8000-000000000009"
	old := dialNode(t, a)
	uaid := old.hello("")
	ep := old.register(ch)
	ua := dialNode(t, b)
	if got := ua.hello(uaid, ch); got != uaid {
		t.Fatalf("B gave uaid %s, want %s", got, uaid)
	}
	if code := old.closed(); code != wsconn.StatusNormalClosure {
		t.Fatalf("A closed the older socket with %d, want 1000", code)
	}
	if st := put(t, http.MethodPut, endpointVia(t, ep, a), form, "version=3"); st != http.StatusOK {
		t.Fatalf("PUT on A after the move: %d, want 200", st)
	}
	if got := ua.notification(); !reflect.DeepEqual(got, []simplepush.Update{{ChannelID: ch, Version: 3}}) {
		t.Fatalf("B delivered %v", got)
	}
	if r, _ := cl.store.Route(ctx5(t), uaid); r.Node != "b" {
		t.Fatalf("route %v, want B", r)
	}
}
