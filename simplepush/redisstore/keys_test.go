package redisstore_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/appwire/appwire/internal/redistest"
	"github.com/appwire/appwire/simplepush"
	"github.com/appwire/appwire/simplepush/redisstore"
)

// keysOf lists every key in rdb, sorted.
func keysOf(t *testing.T, rdb *redis.Client) []string {
	t.Helper()
	k, err := rdb.Keys(bg(), "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(k)
	return k
}

// TestRedisStoreKeyLayout pins the documented layout: two hash-tagged
// hashes per uaid under the prefix, and Redis key lifetimes that follow
// the longest TTL (a garbage collector only).
func TestRedisStoreKeyLayout(t *testing.T) {
	rdb := redistest.Start(t, redistest.Options{}).Client(t)
	s, err := redisstore.NewStore(rdb, redisstore.Options{Prefix: "p:"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, u := bg(), simplepush.NewUAID()
	if _, err := s.Connect(ctx, u, simplepush.Route{Node: "n1", ConnectedAt: 1<<62 + 1}); err != nil {
		t.Fatal(err)
	}
	mustDo(t, s.Register(ctx, u, "c"))
	if _, err := s.Update(ctx, u, "c", 1<<64-2); err != nil {
		t.Fatal(err)
	}
	want := []string{"p:{" + u + "}:ch", "p:{" + u + "}:user"}
	if got := keysOf(t, rdb); !slices.Equal(got, want) {
		t.Fatalf("keys %v, want %v", got, want)
	}
	user, _ := rdb.HGetAll(ctx, want[1]).Result()
	if user["node"] != "n1" || user["at"] != "4611686018427387905" || user["exp"] == "" {
		t.Fatalf("user hash %v", user)
	}
	rec, _ := rdb.HGet(ctx, want[0], "c").Result()
	if !strings.HasPrefix(rec, "l:18446744073709551614:00000000000000000000:") {
		t.Fatalf("channel record %q", rec)
	}
	for _, k := range want {
		ttl, _ := rdb.PTTL(ctx, k).Result()
		if ttl <= 71*time.Hour || ttl > simplepush.DefaultLiveTTL {
			t.Fatalf("%s lives %v, want the longest TTL (72 h)", k, ttl)
		}
	}
	// A TTL of "never" keeps the keys forever.
	forever, _ := redisstore.NewStore(rdb, redisstore.Options{Prefix: "p:", TTLs: simplepush.StoreTTLs{Deleted: -1}})
	mustDo(t, forever.Unregister(ctx, u, "c"))
	for _, k := range want {
		if ttl, _ := rdb.PTTL(ctx, k).Result(); ttl != -1 {
			t.Fatalf("%s lives %v with a TTL of never", k, ttl)
		}
	}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestRedisStorePrefixIsolation: stores under different prefixes share a
// Redis without seeing or touching each other's users.
func TestRedisStorePrefixIsolation(t *testing.T) {
	rdb := redistest.Start(t, redistest.Options{}).Client(t)
	a, _ := redisstore.NewStore(rdb, redisstore.Options{Prefix: "a:"})
	b, _ := redisstore.NewStore(rdb, redisstore.Options{Prefix: "b:"})
	ctx, u := bg(), simplepush.NewUAID()
	if _, err := a.Connect(ctx, u, simplepush.Route{Node: "x", ConnectedAt: 1}); err != nil {
		t.Fatal(err)
	}
	mustDo(t, a.Register(ctx, u, "c"))
	if ok, _ := b.UserExists(ctx, u); ok {
		t.Fatal("b sees a's user")
	}
	if _, err := b.Update(ctx, u, "c", 1); !errors.Is(err, simplepush.ErrUnknownChannel) {
		t.Fatalf("b updated a's channel: %v", err)
	}
	mustDo(t, b.DropUser(ctx, u))
	mustDo(t, b.Unregister(ctx, u, "c"))
	if st, _, _ := a.Channel(ctx, u, "c"); st != simplepush.StateRegistered {
		t.Fatalf("a's channel after b's writes: %v", st)
	}
	for _, k := range keysOf(t, rdb) {
		if !strings.HasPrefix(k, "a:") {
			t.Fatalf("b left key %q", k)
		}
	}
}

// TestRedisStoreSweep: what expired is deleted from Redis, not only
// hidden: Connect sweeps a user's expired channels, and an expired user
// is deleted with its channels when a write meets it.
func TestRedisStoreSweep(t *testing.T) {
	rdb := redistest.Start(t, redistest.Options{}).Client(t)
	ttls := simplepush.StoreTTLs{}.WithDefaults()
	s, clock := newRedisStore(t, rdb, ttls)
	ctx, u := bg(), simplepush.NewUAID()
	r := simplepush.Route{Node: "n", ConnectedAt: 1}
	if _, err := s.Connect(ctx, u, r); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"reg", "live", "del"} {
		mustDo(t, s.Register(ctx, u, c))
	}
	if _, err := s.Update(ctx, u, "live", 3); err != nil {
		t.Fatal(err)
	}
	mustDo(t, s.Unregister(ctx, u, "del"))
	chKey := t.Name() + ":{" + u + "}:ch"
	clock.Advance(ttls.Deleted) // past registered (3 h) and deleted (24 h)
	if _, err := s.Connect(ctx, u, r); err != nil {
		t.Fatal(err)
	}
	if f, _ := rdb.HKeys(ctx, chKey).Result(); !slices.Equal(f, []string{"live"}) {
		t.Fatalf("channels after the sweep: %v", f)
	}
	mustDo(t, s.Disconnect(ctx, u, r))
	clock.Advance(ttls.User)
	if err := s.Register(ctx, u, "x"); !errors.Is(err, simplepush.ErrUnknownUAID) { // meets the expired user
		t.Fatalf("register for an expired user: %v", err)
	}
	if k := keysOf(t, rdb); len(k) != 0 {
		t.Fatalf("keys of an expired user: %v", k)
	}
}

// TestRedisStoreErrors: context and connection failures come back
// wrapped with the package prefix, and never as "unknown".
func TestRedisStoreErrors(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), MaxRetries: -1, DialerRetries: 1})
	defer rdb.Close()
	s, _ := newRedisStore(t, rdb, simplepush.StoreTTLs{})
	ctx, cancel := context.WithCancel(bg())
	cancel()
	u := simplepush.NewUAID()
	if _, err := s.Connect(ctx, u, simplepush.Route{Node: "n", ConnectedAt: 1}); !errors.Is(err, context.Canceled) ||
		!strings.HasPrefix(err.Error(), "simplepush: redis: connect:") {
		t.Fatalf("cancelled connect: %v", err)
	}
	srv.Kill()
	short, cancel2 := context.WithTimeout(bg(), 2*time.Second)
	defer cancel2()
	for name, err := range map[string]error{
		"update":  func() error { _, err := s.Update(short, u, "c", 1); return err }(),
		"pending": func() error { _, err := s.Pending(short, u, nil); return err }(),
		"exists":  func() error { _, err := s.UserExists(short, u); return err }(),
	} {
		if err == nil || errors.Is(err, simplepush.ErrUnknownChannel) || !strings.HasPrefix(err.Error(), "simplepush: redis: ") {
			t.Errorf("%s with Redis down: %v", name, err)
		}
	}
}

// TestRedisStoreForeignRecord: a channel value the store did not write
// reads as no record instead of breaking the user's other channels.
func TestRedisStoreForeignRecord(t *testing.T) {
	rdb := redistest.Start(t, redistest.Options{}).Client(t)
	s, _ := newRedisStore(t, rdb, simplepush.StoreTTLs{})
	ctx, u := bg(), simplepush.NewUAID()
	if _, err := s.Connect(ctx, u, simplepush.Route{Node: "n", ConnectedAt: 1}); err != nil {
		t.Fatal(err)
	}
	mustDo(t, s.Register(ctx, u, "good"))
	if _, err := s.Update(ctx, u, "good", 2); err != nil {
		t.Fatal(err)
	}
	rdb.HSet(ctx, t.Name()+":{"+u+"}:ch", "bad", "garbage")
	if p, err := s.Pending(ctx, u, nil); err != nil || len(p) != 1 || p[0].ChannelID != "good" {
		t.Fatalf("pending %v %v", p, err)
	}
	if st, _, err := s.Channel(ctx, u, "bad"); st != simplepush.StateNone || err != nil {
		t.Fatalf("foreign record: %v %v", st, err)
	}
	mustDo(t, s.Register(ctx, u, "bad")) // starts over
	if st, _, _ := s.Channel(ctx, u, "bad"); st != simplepush.StateRegistered {
		t.Fatalf("re-registered foreign record: %v", st)
	}
}
