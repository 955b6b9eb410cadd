package simplepush

import (
	"context"
	"sync/atomic"
	"testing"
)

// slowDisconnects is a Store whose Disconnect waits until released, as a
// networked store under load does; it counts the calls waiting at once.
type slowDisconnects struct {
	Store
	release chan struct{}
	waiting atomic.Int64
	most    atomic.Int64
}

func (s *slowDisconnects) Disconnect(ctx context.Context, uaid string, r Route) error {
	n := s.waiting.Add(1)
	for m := s.most.Load(); n > m && !s.most.CompareAndSwap(m, n); m = s.most.Load() {
	}
	defer s.waiting.Add(-1)
	select {
	case <-s.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	return s.Store.Disconnect(ctx, uaid, r)
}

// TestDisconnectBurstIsBounded: sockets that close together while the
// store is slow wait as queued records, not as a goroutine each (with its
// stack and read buffers); their routes are all cleared in the end.
func TestDisconnectBurstIsBounded(t *testing.T) {
	mem := NewMemoryStore(MemoryStoreOptions{})
	st := &slowDisconnects{Store: mem, release: make(chan struct{})}
	ts := startServer(t, Options{Store: st})
	const n = 40
	var uaids []string
	for range n {
		c := ts.dial(t)
		uaids = append(uaids, c.hello(""))
		c.c.CloseNow()
	}
	waitConns(t, ts, 0) // every socket is closed on the server's side
	for i := 0; st.waiting.Load() < maxDisconnectWorkers; i++ {
		if i > 5000 {
			t.Fatalf("%d Disconnect calls waiting, want %d", st.waiting.Load(), maxDisconnectWorkers)
		}
		sleepTick()
	}
	close(st.release)
	ts.waitDisconnects()
	if most := st.most.Load(); most > maxDisconnectWorkers {
		t.Fatalf("%d Disconnect calls waited at once for %d closed sockets, want at most %d", most, n, maxDisconnectWorkers)
	}
	for _, u := range uaids {
		if r, err := mem.Route(ctx5(t), u); err != nil || r.Node != "" {
			t.Fatalf("route of %s after the burst: %+v, %v", u, r, err)
		}
	}
}
