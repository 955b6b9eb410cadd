// Package storetest checks that a simplepush.Store keeps the rules the
// server relies on. Run it from the tests of every Store implementation:
//
//	storetest.Run(t, func(t *testing.T) storetest.Fixture { ... })
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/appwire/appwire/simplepush"
)

// Fixture is one fresh, empty store under test.
type Fixture struct {
	Store simplepush.Store
	// Advance moves the store's clock forward; nil skips the expiry
	// checks (a real Redis cannot be fast-forwarded).
	Advance func(time.Duration)
	// TTLs are the lifetimes the store was built with (defaults filled).
	TTLs simplepush.StoreTTLs
}

// Run runs every check, each on a fresh store from newFixture.
func Run(t *testing.T, newFixture func(t *testing.T) Fixture) {
	for _, c := range []struct {
		name string
		f    func(*testing.T, Fixture)
	}{
		{"Users", users}, {"Routes", routes}, {"Wakeup", wakeup}, {"Channels", channels},
		{"Versions", versions}, {"Ack", ack}, {"Pending", pending}, {"Expiry", expiry},
		{"Concurrent", concurrent}, {"AckPending", ackPending},
	} {
		t.Run(c.name, func(t *testing.T) { c.f(t, newFixture(t)) })
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func users(t *testing.T, f Fixture) {
	ctx, s, u := context.Background(), f.Store, simplepush.NewUAID()
	if ok, err := s.UserExists(ctx, u); err != nil || ok {
		t.Fatalf("fresh uaid exists: %v %v", ok, err)
	}
	if err := s.Register(ctx, u, "c"); !errors.Is(err, simplepush.ErrUnknownUAID) {
		t.Fatalf("register for an unknown uaid: %v", err)
	}
	_, err := s.Connect(ctx, u, simplepush.Route{Node: "a", ConnectedAt: 1})
	must(t, err)
	if ok, _ := s.UserExists(ctx, u); !ok {
		t.Fatal("user missing after Connect")
	}
	must(t, s.Register(ctx, u, "c"))
	must(t, s.DropUser(ctx, u))
	if ok, _ := s.UserExists(ctx, u); ok {
		t.Fatal("user exists after DropUser")
	}
	if st, _, _ := s.Channel(ctx, u, "c"); st != simplepush.StateNone {
		t.Fatalf("channel of a dropped user: %v", st)
	}
}

func routes(t *testing.T, f Fixture) {
	ctx, s, u := context.Background(), f.Store, simplepush.NewUAID()
	r1 := simplepush.Route{Node: "a", ConnectedAt: 1}
	r2 := simplepush.Route{Node: "b", ConnectedAt: 2}
	if prev, err := s.Connect(ctx, u, r1); err != nil || prev != (simplepush.Route{}) {
		t.Fatalf("first connect: %v %v", prev, err)
	}
	if prev, err := s.Connect(ctx, u, r2); err != nil || prev != r1 {
		t.Fatalf("second connect: prev %v %v", prev, err)
	}
	must(t, s.Disconnect(ctx, u, r1)) // stale: must not clear r2
	if r, _ := s.Route(ctx, u); r != r2 {
		t.Fatalf("stale disconnect cleared the route: %v", r)
	}
	must(t, s.Disconnect(ctx, u, r2))
	if r, _ := s.Route(ctx, u); r != (simplepush.Route{}) {
		t.Fatalf("route after disconnect: %v", r)
	}
	if ok, _ := s.UserExists(ctx, u); !ok {
		t.Fatal("disconnect dropped the user")
	}
}

func wakeup(t *testing.T, f Fixture) {
	ctx, s, u := context.Background(), f.Store, simplepush.NewUAID()
	_, err := s.Connect(ctx, u, simplepush.Route{Node: "a", ConnectedAt: 1})
	must(t, err)
	w := &simplepush.Wakeup{Interface: []byte(`{"ip":"127.0.0.1","port":9}`), Protocol: "udp"}
	must(t, s.SetWakeup(ctx, u, w))
	got, err := s.Wakeup(ctx, u)
	must(t, err)
	if !reflect.DeepEqual(got, w) {
		t.Fatalf("wakeup %+v, want %+v", got, w)
	}
	must(t, s.SetWakeup(ctx, u, nil))
	if got, _ := s.Wakeup(ctx, u); got != nil {
		t.Fatalf("wakeup after clear: %+v", got)
	}
}

func connect(t *testing.T, s simplepush.Store) string {
	u := simplepush.NewUAID()
	_, err := s.Connect(context.Background(), u, simplepush.Route{Node: "a", ConnectedAt: 1})
	must(t, err)
	return u
}

func state(t *testing.T, s simplepush.Store, u, c string) (simplepush.ChannelState, uint64) {
	t.Helper()
	st, v, err := s.Channel(context.Background(), u, c)
	must(t, err)
	return st, v
}

func channels(t *testing.T, f Fixture) {
	ctx, s := context.Background(), f.Store
	u, other := connect(t, s), connect(t, s)
	if _, err := s.Update(ctx, u, "c", 1); !errors.Is(err, simplepush.ErrUnknownChannel) {
		t.Fatalf("update of an unregistered channel: %v", err)
	}
	must(t, s.Register(ctx, u, "c"))
	must(t, s.Register(ctx, u, "c")) // idempotent
	if st, v := state(t, s, u, "c"); st != simplepush.StateRegistered || v != 0 {
		t.Fatalf("after register: %v %d", st, v)
	}
	if p, _ := s.Pending(ctx, u, nil); len(p) != 0 {
		t.Fatalf("registered channel pending: %v", p)
	}
	if ok, err := s.Update(ctx, u, "c", 5); !ok || err != nil {
		t.Fatalf("update: %v %v", ok, err)
	}
	must(t, s.Register(ctx, u, "c")) // re-register keeps the live record
	if st, v := state(t, s, u, "c"); st != simplepush.StateLive || v != 5 {
		t.Fatalf("after re-register: %v %d", st, v)
	}
	must(t, s.Unregister(ctx, other, "c")) // not other's channel
	if st, _ := state(t, s, u, "c"); st != simplepush.StateLive {
		t.Fatal("unregister by another uaid deleted the channel")
	}
	must(t, s.Unregister(ctx, u, "c"))
	must(t, s.Unregister(ctx, u, "c"))
	must(t, s.Unregister(ctx, u, "never"))
	if st, _ := state(t, s, u, "c"); st != simplepush.StateDeleted {
		t.Fatalf("after unregister: %v", st)
	}
	if p, _ := s.Pending(ctx, u, nil); len(p) != 0 {
		t.Fatalf("deleted channel still pending: %v", p)
	}
	if _, err := s.Update(ctx, u, "c", 9); !errors.Is(err, simplepush.ErrUnknownChannel) {
		t.Fatalf("update of a deleted channel: %v", err)
	}
	must(t, s.Register(ctx, u, "c"))
	if st, v := state(t, s, u, "c"); st != simplepush.StateRegistered || v != 0 {
		t.Fatalf("re-register after delete: %v %d", st, v)
	}
}

func versions(t *testing.T, f Fixture) {
	ctx, s := context.Background(), f.Store
	u := connect(t, s)
	must(t, s.Register(ctx, u, "c"))
	for _, tc := range []struct {
		v      uint64
		stored bool
		want   uint64
	}{{10, true, 10}, {3, false, 10}, {10, false, 10}, {11, true, 11}, {1<<64 - 1, true, 1<<64 - 1}, {0, false, 1<<64 - 1}} {
		ok, err := s.Update(ctx, u, "c", tc.v)
		must(t, err)
		if _, v := state(t, s, u, "c"); ok != tc.stored || v != tc.want {
			t.Fatalf("update %d: stored %v version %d, want %v %d", tc.v, ok, v, tc.stored, tc.want)
		}
	}
}

func ack(t *testing.T, f Fixture) {
	ctx, s := context.Background(), f.Store
	u := connect(t, s)
	must(t, s.Register(ctx, u, "c"))
	_, err := s.Update(ctx, u, "c", 7)
	must(t, err)
	must(t, s.Ack(ctx, u, "c", 6)) // older: keeps 7 pending
	if p, _ := s.Pending(ctx, u, nil); !reflect.DeepEqual(p, []simplepush.Update{{ChannelID: "c", Version: 7}}) {
		t.Fatalf("after an older ack: %v", p)
	}
	must(t, s.Ack(ctx, u, "c", 7))
	if p, _ := s.Pending(ctx, u, nil); len(p) != 0 {
		t.Fatalf("after ack: %v", p)
	}
	_, err = s.Update(ctx, u, "c", 8)
	must(t, err)
	if p, _ := s.Pending(ctx, u, nil); len(p) != 1 || p[0].Version != 8 {
		t.Fatalf("newer version after ack not pending: %v", p)
	}
	must(t, s.Ack(ctx, u, "c", 100)) // newer than stored: clears
	if p, _ := s.Pending(ctx, u, nil); len(p) != 0 {
		t.Fatalf("after a newer ack: %v", p)
	}
	must(t, s.Ack(ctx, u, "unknown", 1))
	must(t, s.Ack(ctx, simplepush.NewUAID(), "c", 1))
}

func pending(t *testing.T, f Fixture) {
	ctx, s := context.Background(), f.Store
	u := connect(t, s)
	for i, c := range []string{"b", "a", "c"} {
		must(t, s.Register(ctx, u, c))
		_, err := s.Update(ctx, u, c, uint64(i+1))
		must(t, err)
	}
	must(t, s.Register(ctx, u, "d"))
	got, err := s.Pending(ctx, u, []simplepush.Update{{ChannelID: "keep"}})
	must(t, err)
	want := []simplepush.Update{{ChannelID: "keep"}, {ChannelID: "a", Version: 2}, {ChannelID: "b", Version: 1}, {ChannelID: "c", Version: 3}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("pending %v, want %v", got, want)
	}
}

func expiry(t *testing.T, f Fixture) {
	if f.Advance == nil {
		t.Skip("store clock cannot be advanced")
	}
	ctx, s, ttl := context.Background(), f.Store, f.TTLs
	u := connect(t, s)
	must(t, s.Register(ctx, u, "reg"))
	must(t, s.Register(ctx, u, "live"))
	_, err := s.Update(ctx, u, "live", 1)
	must(t, err)
	must(t, s.Register(ctx, u, "del"))
	must(t, s.Unregister(ctx, u, "del"))
	f.Advance(ttl.Registered)
	if st, _ := state(t, s, u, "reg"); st != simplepush.StateNone {
		t.Fatalf("registered channel after its TTL: %v", st)
	}
	if st, _ := state(t, s, u, "live"); st != simplepush.StateLive {
		t.Fatalf("live channel before its TTL: %v", st)
	}
	// Connect restarts every channel's clock.
	_, err = s.Connect(ctx, u, simplepush.Route{Node: "a", ConnectedAt: 2})
	must(t, err)
	f.Advance(ttl.Live - time.Second)
	if st, _ := state(t, s, u, "live"); st != simplepush.StateLive {
		t.Fatalf("live channel expired although the user connected: %v", st)
	}
	if st, _ := state(t, s, u, "del"); st != simplepush.StateNone {
		t.Fatalf("deleted channel after its TTL: %v", st)
	}
	// A connected user never expires; a disconnected one does.
	must(t, s.Disconnect(ctx, u, simplepush.Route{Node: "a", ConnectedAt: 2}))
	f.Advance(ttl.User)
	if ok, _ := s.UserExists(ctx, u); ok {
		t.Fatal("disconnected user outlived its TTL")
	}
}

func concurrent(t *testing.T, f Fixture) {
	ctx, s := context.Background(), f.Store
	u := connect(t, s)
	must(t, s.Register(ctx, u, "c"))
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				v := uint64(g*50 + i + 1)
				if _, err := s.Update(ctx, u, "c", v); err != nil {
					t.Error(err)
					return
				}
				_ = s.Ack(ctx, u, "c", v)
				_, _ = s.Pending(ctx, u, nil)
				_ = s.Register(ctx, u, fmt.Sprint("x", g, i))
			}
		}()
	}
	wg.Wait()
	if _, v := state(t, s, u, "c"); v != 200 {
		t.Fatalf("highest version %d, want 200", v)
	}
}

// ackPending: a store that implements simplepush.AckPender answers as Ack
// for each update followed by Pending would (checked on the same data in
// a second user).
func ackPending(t *testing.T, f Fixture) {
	ap, ok := f.Store.(simplepush.AckPender)
	if !ok {
		t.Skip("the store does not implement simplepush.AckPender")
	}
	ctx, s := context.Background(), f.Store
	users := [2]string{connect(t, s), connect(t, s)}
	for _, u := range users {
		for i, c := range []string{"b", "a", "c", "d"} {
			must(t, s.Register(ctx, u, c))
			if c != "d" {
				_, err := s.Update(ctx, u, c, uint64(10+i))
				must(t, err)
			}
		}
	}
	acks := []simplepush.Update{{ChannelID: "a", Version: 11}, {ChannelID: "b", Version: 9}, {ChannelID: "d", Version: 1}, {ChannelID: "zz", Version: 1}}
	got, err := ap.AckPending(ctx, users[0], acks, []simplepush.Update{{ChannelID: "keep"}})
	must(t, err)
	for _, a := range acks {
		must(t, s.Ack(ctx, users[1], a.ChannelID, a.Version))
	}
	want, err := s.Pending(ctx, users[1], []simplepush.Update{{ChannelID: "keep"}})
	must(t, err)
	if !reflect.DeepEqual(got, want) || len(want) != 3 {
		t.Fatalf("AckPending gave %v; Ack then Pending gave %v", got, want)
	}
	if again, _ := s.Pending(ctx, users[0], nil); !reflect.DeepEqual(again, want[1:]) {
		t.Fatalf("Pending after AckPending: %v, want %v", again, want[1:])
	}
	if got, err := ap.AckPending(ctx, simplepush.NewUAID(), acks, nil); err != nil || len(got) != 0 {
		t.Fatalf("AckPending of an unknown uaid: %v, %v", got, err)
	}
}
