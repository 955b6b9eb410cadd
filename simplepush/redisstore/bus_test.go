package redisstore_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/appwire/appwire/internal/redistest"
	"github.com/appwire/appwire/simplepush"
	"github.com/appwire/appwire/simplepush/redisstore"
)

func newRedisBus(t *testing.T, rdb redis.UniversalClient, timeout time.Duration) *redisstore.Bus {
	t.Helper()
	b, err := redisstore.NewBus(rdb, redisstore.BusOptions{Prefix: t.Name() + ":", Timeout: timeout, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func notify(uaid string) simplepush.BusMessage {
	return simplepush.BusMessage{Kind: simplepush.BusNotify, UAID: uaid, Update: simplepush.Update{ChannelID: "c", Version: 7, Data: "d"}}
}

// eventually retries f every 10 ms until it is true or d passes.
func eventually(d time.Duration, f func() bool) bool {
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if f() {
			return true
		}
	}
	return f()
}

func TestRedisBus(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	// Two buses, two clients: two processes as far as Redis can tell.
	pub, node := newRedisBus(t, srv.Client(t), 5*time.Second), newRedisBus(t, srv.Client(t), 5*time.Second)
	ctx := testCtx(t)
	if ok, err := pub.Publish(ctx, "a", notify("u")); ok || err != nil {
		t.Fatalf("publish to nobody: %v %v", ok, err)
	}
	var got sync.Map
	cancel, err := node.Subscribe("a", func(_ context.Context, m simplepush.BusMessage) bool {
		got.Store(m.UAID, m)
		return m.UAID == "u"
	})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := pub.Publish(ctx, "a", notify("u")); !ok || err != nil {
		t.Fatalf("taken: %v %v", ok, err)
	}
	if m, _ := got.Load("u"); m != notify("u") {
		t.Fatalf("handler got %+v", m)
	}
	if ok, err := pub.Publish(ctx, "a", notify("other")); ok || err != nil {
		t.Fatalf("refused by the handler: %v %v", ok, err)
	}
	if ok, _ := pub.Publish(ctx, "b", notify("u")); ok {
		t.Fatal("taken by the wrong node")
	}
	if ok, _ := node.Publish(ctx, "a", notify("u")); !ok { // a node may publish to itself
		t.Fatal("publish to the own node")
	}
	cancel()
	cancel()
	if !eventually(5*time.Second, func() bool { ok, _ := pub.Publish(ctx, "a", notify("u")); return !ok }) {
		t.Fatal("still taken after cancel")
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestRedisBusTimeout: a node that does not answer in time is "not
// taken", with an error, within the timeout (and within ctx).
func TestRedisBusTimeout(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	pub, node := newRedisBus(t, srv.Client(t), 200*time.Millisecond), newRedisBus(t, srv.Client(t), time.Second)
	release := make(chan struct{})
	defer close(release)
	if _, err := node.Subscribe("slow", func(context.Context, simplepush.BusMessage) bool { <-release; return true }); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	ok, err := pub.Publish(testCtx(t), "slow", notify("u"))
	if ok || err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("slow node: %v %v after %v", ok, err, time.Since(start))
	}
	ctx, cancel := context.WithTimeout(testCtx(t), 20*time.Millisecond)
	defer cancel()
	if ok, err := newRedisBus(t, srv.Client(t), time.Minute).Publish(ctx, "slow", notify("u")); ok || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("ctx deadline: %v %v", ok, err)
	}
}

// TestRedisBusConcurrent: many publishers, several nodes, every message
// answered by the right node.
func TestRedisBusConcurrent(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	pub := newRedisBus(t, srv.Client(t), 5*time.Second)
	nodes := []string{"n0", "n1", "n2"}
	var counts [3]atomic.Int64
	for i, n := range nodes {
		if _, err := newRedisBus(t, srv.Client(t), 5*time.Second).Subscribe(n, func(_ context.Context, m simplepush.BusMessage) bool {
			counts[i].Add(1)
			return m.UAID == n
		}); err != nil {
			t.Fatal(err)
		}
	}
	ctx := testCtx(t)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 30 {
				n := nodes[(g+i)%len(nodes)]
				if ok, err := pub.Publish(ctx, n, notify(n)); !ok || err != nil {
					t.Errorf("publish to %s: %v %v", n, ok, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if total := counts[0].Load() + counts[1].Load() + counts[2].Load(); total != 240 {
		t.Fatalf("%d messages handled, want 240", total)
	}
}

// TestRedisBusRedisRestart: after Redis comes back, both the node's
// subscription and the publisher's reply channel work again.
func TestRedisBusRedisRestart(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	pub, node := newRedisBus(t, srv.Client(t), time.Second), newRedisBus(t, srv.Client(t), time.Second)
	if _, err := node.Subscribe("a", func(context.Context, simplepush.BusMessage) bool { return true }); err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	if ok, err := pub.Publish(ctx, "a", notify("u")); !ok {
		t.Fatalf("before the restart: %v", err)
	}
	srv.Restart()
	// go-redis notices within its 3 s health check and subscribes again.
	if !eventually(20*time.Second, func() bool { ok, _ := pub.Publish(ctx, "a", notify("u")); return ok }) {
		t.Fatal("the bus did not recover after a Redis restart")
	}
}

// TestRedisBusClose: Close ends every goroutine the bus started and makes
// further calls fail; nothing leaks.
func TestRedisBusClose(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	before := runtime.NumGoroutine()
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	b, _ := redisstore.NewBus(rdb, redisstore.BusOptions{Workers: 4})
	if _, err := b.Subscribe("a", func(context.Context, simplepush.BusMessage) bool { return true }); err != nil {
		t.Fatal(err)
	}
	if ok, err := b.Publish(testCtx(t), "a", notify("u")); !ok {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Publish(testCtx(t), "a", notify("u")); !errors.Is(err, redisstore.ErrBusClosed) {
		t.Fatalf("publish after close: %v", err)
	}
	if _, err := b.Subscribe("b", func(context.Context, simplepush.BusMessage) bool { return true }); !errors.Is(err, redisstore.ErrBusClosed) {
		t.Fatalf("subscribe after close: %v", err)
	}
	_ = rdb.Close()
	if !eventually(5*time.Second, func() bool { return runtime.NumGoroutine() <= before }) {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
	}
}
