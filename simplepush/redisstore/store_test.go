package redisstore_test

import (
	"context"
	"errors"
	"fmt"
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

// TestRedisStoreBatchedScripts: scripts started together go to Redis in
// pipelines (the batcher); each caller still gets its own answer, also
// when Redis lost the scripts in between (NOSCRIPT inside a pipeline).
func TestRedisStoreBatchedScripts(t *testing.T) {
	rdb := redistest.Start(t, redistest.Options{}).Client(t)
	s, _ := newRedisStore(t, rdb, simplepush.StoreTTLs{})
	ctx := context.Background()
	uaid := simplepush.NewUAID()
	if _, err := s.Connect(ctx, uaid, simplepush.Route{Node: "a", ConnectedAt: 1}); err != nil {
		t.Fatal(err)
	}
	const n = 64
	for i := range n {
		if err := s.Register(ctx, uaid, fmt.Sprint("c", i)); err != nil {
			t.Fatal(err)
		}
	}
	for round := range 3 {
		if round == 2 {
			if err := rdb.ScriptFlush(ctx).Err(); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		errs := make(chan error, 2*n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				chid := fmt.Sprint("c", i)
				v := uint64(10*round + i%5 + 1) // newer than the last round
				if ok, err := s.Update(ctx, uaid, chid, v); err != nil || !ok {
					errs <- fmt.Errorf("round %d: update %s v%d: %v %v", round, chid, v, ok, err)
				}
				if ok, err := s.Update(ctx, uaid, chid, v); err != nil || ok {
					errs <- fmt.Errorf("round %d: same version again %s: %v %v", round, chid, ok, err)
				}
				if _, err := s.Update(ctx, uaid, "nope"+chid, v); !errors.Is(err, simplepush.ErrUnknownChannel) {
					errs <- fmt.Errorf("round %d: unknown channel: %v", round, err)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		got, err := s.Pending(ctx, uaid, nil)
		if err != nil || len(got) != n {
			t.Fatalf("round %d: %d pending, %v", round, len(got), err)
		}
		for _, u := range got {
			var i int
			fmt.Sscanf(u.ChannelID, "c%d", &i)
			if want := uint64(10*round + i%5 + 1); u.Version != want {
				t.Fatalf("round %d: %s at v%d, want v%d", round, u.ChannelID, u.Version, want)
			}
		}
	}
}
