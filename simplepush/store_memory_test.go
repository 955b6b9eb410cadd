package simplepush_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/appwire/appwire/simplepush"
	"github.com/appwire/appwire/simplepush/storetest"
)

func TestMemoryStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Fixture {
		var mu sync.Mutex
		now := time.Unix(1_700_000_000, 0)
		ttls := simplepush.StoreTTLs{}.WithDefaults()
		s := simplepush.NewMemoryStore(simplepush.MemoryStoreOptions{Now: func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			return now
		}})
		return storetest.Fixture{Store: s, TTLs: ttls, Advance: func(d time.Duration) {
			mu.Lock()
			now = now.Add(d)
			mu.Unlock()
		}}
	})
}

func TestMemoryBus(t *testing.T) {
	b := simplepush.NewMemoryBus()
	ctx := context.Background()
	if ok, err := b.Publish(ctx, "a", simplepush.BusMessage{}); ok || err != nil {
		t.Fatalf("publish to nobody: %v %v", ok, err)
	}
	var got atomic.Int32
	cancel, err := b.Subscribe("a", func(_ context.Context, m simplepush.BusMessage) bool {
		got.Add(1)
		return m.UAID == "u"
	})
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := b.Publish(ctx, "a", simplepush.BusMessage{Kind: simplepush.BusNotify, UAID: "u"}); !ok {
		t.Fatal("not taken")
	}
	if ok, _ := b.Publish(ctx, "b", simplepush.BusMessage{UAID: "u"}); ok {
		t.Fatal("taken by the wrong node")
	}
	cancel()
	if ok, _ := b.Publish(ctx, "a", simplepush.BusMessage{UAID: "u"}); ok || got.Load() != 1 {
		t.Fatal("delivered after cancel")
	}
}
