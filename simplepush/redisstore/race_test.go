package redisstore_test

import (
	"reflect"
	"sync"
	"testing"

	"github.com/appwire/appwire/internal/redistest"
	"github.com/appwire/appwire/simplepush"
	"github.com/appwire/appwire/simplepush/redisstore"
)

// Two stores on one Redis stand for two nodes; the checks below fail if
// any read-modify-write in the store were not atomic.

// storePair returns two stores of one prefix, each with its own client.
func storePair(t *testing.T, srv *redistest.Server) (a, b *redisstore.Store) {
	t.Helper()
	for _, s := range []**redisstore.Store{&a, &b} {
		var err error
		*s, err = redisstore.NewStore(srv.Client(t), redisstore.Options{Prefix: t.Name() + ":"})
		if err != nil {
			t.Fatal(err)
		}
	}
	return a, b
}

// TestRedisStoreUpdateAckRace: updaters store rising versions while
// ackers acknowledge stale ones; the newest version must win and stay
// pending, since no ack ever covered it.
func TestRedisStoreUpdateAckRace(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	a, b := storePair(t, srv)
	ctx, u := bg(), simplepush.NewUAID()
	if _, err := a.Connect(ctx, u, simplepush.Route{Node: "a", ConnectedAt: 1}); err != nil {
		t.Fatal(err)
	}
	if err := a.Register(ctx, u, "c"); err != nil {
		t.Fatal(err)
	}
	const workers, per = 8, 40
	var wg sync.WaitGroup
	for g := range workers {
		s := simplepush.Store(a)
		if g%2 == 1 {
			s = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				v := uint64(i*workers + g + 1) // 1 .. workers*per, interleaved
				if g < workers/2 {
					if _, err := s.Update(ctx, u, "c", v); err != nil {
						t.Error(err)
						return
					}
				} else if err := s.Ack(ctx, u, "c", v/2); err != nil { // always behind
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	// The highest version any updater sent: worker workers/2-1, last round.
	top := uint64((per-1)*workers + workers/2)
	if st, v, _ := b.Channel(ctx, u, "c"); st != simplepush.StateLive || v != top {
		t.Fatalf("channel %v %d, want live %d", st, v, top)
	}
	p, err := a.Pending(ctx, u, nil)
	if err != nil || !reflect.DeepEqual(p, []simplepush.Update{{ChannelID: "c", Version: top}}) {
		t.Fatalf("pending %v %v, want version %d", p, err, top)
	}
	if err := b.Ack(ctx, u, "c", top); err != nil {
		t.Fatal(err)
	}
	if p, _ := a.Pending(ctx, u, nil); len(p) != 0 {
		t.Fatalf("pending after the ack of the newest version: %v", p)
	}
}

// TestRedisStoreConnectRace: concurrent Connects of one uaid form one
// chain: each returns the route it replaced, so every route but the last
// is returned exactly once, and the last is the stored route.
func TestRedisStoreConnectRace(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	a, b := storePair(t, srv)
	ctx, u := bg(), simplepush.NewUAID()
	const n = 64
	prevs := make([]simplepush.Route, n)
	var wg sync.WaitGroup
	for i := range n {
		s := simplepush.Store(a)
		if i%2 == 1 {
			s = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			prevs[i], err = s.Connect(ctx, u, simplepush.Route{Node: "n", ConnectedAt: int64(i + 1)})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	seen := map[int64]int{}
	for _, p := range prevs {
		seen[p.ConnectedAt]++
	}
	final, err := a.Route(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	for i := int64(0); i <= n; i++ { // 0: the zero Route the first Connect saw
		want := 1
		if i == final.ConnectedAt {
			want = 0
		}
		if seen[i] != want {
			t.Fatalf("route %d returned %d times, want %d (final route %v)", i, seen[i], want, final)
		}
	}
	// A stale Disconnect from every loser leaves the winner in place.
	for i := range n {
		if r := (simplepush.Route{Node: "n", ConnectedAt: int64(i + 1)}); r != final {
			if err := b.Disconnect(ctx, u, r); err != nil {
				t.Fatal(err)
			}
		}
	}
	if r, _ := a.Route(ctx, u); r != final {
		t.Fatalf("route %v after stale disconnects, want %v", r, final)
	}
}
