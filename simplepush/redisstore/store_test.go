package redisstore_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/appwire/appwire/internal/redistest"
	"github.com/appwire/appwire/simplepush"
	"github.com/appwire/appwire/simplepush/redisstore"
	"github.com/appwire/appwire/simplepush/storetest"
)

// manualClock is a clock that only moves when told.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func newManualClock() *manualClock { return &manualClock{now: time.Unix(1_700_000_000, 0)} }

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// newRedisStore returns a store in rdb under a prefix of its own (the
// test name), on a manual clock.
func newRedisStore(t testing.TB, rdb redis.UniversalClient, ttls simplepush.StoreTTLs) (*redisstore.Store, *manualClock) {
	t.Helper()
	clock := newManualClock()
	s, err := redisstore.NewStore(rdb, redisstore.Options{
		Prefix: t.Name() + ":", TTLs: ttls, Now: clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s, clock
}

func TestRedisStore(t *testing.T) {
	rdb := redistest.Start(t, redistest.Options{}).Client(t)
	storetest.Run(t, func(t *testing.T) storetest.Fixture {
		s, clock := newRedisStore(t, rdb, simplepush.StoreTTLs{})
		return storetest.Fixture{Store: s, TTLs: simplepush.StoreTTLs{}.WithDefaults(), Advance: clock.Advance}
	})
}

func TestRedisStoreShortTTLs(t *testing.T) {
	rdb := redistest.Start(t, redistest.Options{}).Client(t)
	ttls := simplepush.StoreTTLs{Live: time.Minute, Registered: time.Second, Deleted: 2 * time.Second, User: 3 * time.Minute}
	storetest.Run(t, func(t *testing.T) storetest.Fixture {
		s, clock := newRedisStore(t, rdb, ttls)
		return storetest.Fixture{Store: s, TTLs: ttls, Advance: clock.Advance}
	})
}

func TestRedisStoreBadPrefix(t *testing.T) {
	if _, err := redisstore.NewStore(redis.NewClient(&redis.Options{}), redisstore.Options{Prefix: "a{b}:"}); err == nil {
		t.Fatal("a prefix with a hash tag was accepted")
	}
	if _, err := redisstore.NewStore(nil, redisstore.Options{}); err == nil {
		t.Fatal("nil client accepted")
	}
}

func bg() context.Context { return context.Background() }

// TestRedisStoreAckPendingAfterScriptFlush: AckPending runs one EVALSHA;
// when Redis has lost its scripts (a restart, SCRIPT FLUSH) it still acks
// and answers: Script.Run loads the script again on NOSCRIPT.
func TestRedisStoreAckPendingAfterScriptFlush(t *testing.T) {
	rdb := redistest.Start(t, redistest.Options{}).Client(t)
	s, _ := newRedisStore(t, rdb, simplepush.StoreTTLs{})
	ctx := context.Background()
	uaid := simplepush.NewUAID()
	if _, err := s.Connect(ctx, uaid, simplepush.Route{Node: "a", ConnectedAt: 1}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"a", "b"} {
		if err := s.Register(ctx, uaid, c); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Update(ctx, uaid, c, 5); err != nil {
			t.Fatal(err)
		}
	}
	if err := rdb.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	got, err := s.AckPending(ctx, uaid, []simplepush.Update{{ChannelID: "a", Version: 5}}, nil)
	if err != nil || len(got) != 1 || got[0] != (simplepush.Update{ChannelID: "b", Version: 5}) {
		t.Fatalf("AckPending after SCRIPT FLUSH: %v, %v; want b v5 pending", got, err)
	}
	got, err = s.AckPending(ctx, uaid, []simplepush.Update{{ChannelID: "b", Version: 5}}, nil)
	if err != nil || len(got) != 0 {
		t.Fatalf("second AckPending: %v, %v", got, err)
	}
}
