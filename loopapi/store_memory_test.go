package loopapi_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/appwire/appwire/loopapi"
	"github.com/appwire/appwire/loopapi/loopapitest"
	"github.com/appwire/appwire/loopapi/storetest"
)

func TestMemoryStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) loopapi.Store {
		return loopapi.NewMemoryStore(loopapi.MemoryStoreOptions{})
	})
}

// TestMemoryStoreBounded: expired records are reclaimed without being
// read again, and a full store refuses writes instead of growing.
func TestMemoryStoreBounded(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	clock := func() time.Time { return now }
	m := loopapi.NewMemoryStore(loopapi.MemoryStoreOptions{Now: clock, MaxKeys: 100})
	ctx := context.Background()
	for i := range 100 {
		if err := m.CreateSession(ctx, fmt.Sprint("s", i), "k", time.Minute); err != nil {
			t.Fatalf("session %d: %v", i, err)
		}
	}
	if err := m.CreateSession(ctx, "one-more", "k", time.Minute); !errors.Is(err, loopapi.ErrStoreFull) {
		t.Fatalf("write to a full store: %v", err)
	}
	now = now.Add(2 * time.Minute) // every session has expired, none was read
	for i := range 100 {
		if err := m.CreateSession(ctx, fmt.Sprint("t", i), "k", time.Minute); err != nil {
			t.Fatalf("after expiry, session %d: %v", i, err)
		}
	}
}

// TestMemoryStoreFullAnswers503: the server answers a full store as any
// backend failure.
func TestMemoryStoreFullAnswers503(t *testing.T) {
	st := loopapi.NewMemoryStore(loopapi.MemoryStoreOptions{MaxKeys: 3})
	srv := loopapitest.Start(t, loopapi.Options{Store: st})
	for i := 0; ; i++ {
		a := do(t, srv.URL, raw{method: "POST", path: "/registration"})
		if a.status == 503 {
			wantErr(t, a, 503, loopapi.ErrnoBackend, "Service Unavailable")
			return
		}
		if a.status != 200 || i > 5 {
			t.Fatalf("registration %d: %d %s", i, a.status, a.body)
		}
	}
}
