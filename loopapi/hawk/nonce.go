package hawk

import (
	"context"
	"crypto/sha256"
	"sync"
	"time"
)

// NonceCache remembers the nonces of authenticated requests to refuse
// replays. Add records the triple (id, ts, nonce) for ttl and reports
// whether it was new. An implementation backed by a shared store (Redis
// SET NX EX) lets several server nodes refuse each other's replays; an
// error from Add is a backend failure, not a Hawk failure.
type NonceCache interface {
	Add(ctx context.Context, id, ts, nonce string, ttl time.Duration) (fresh bool, err error)
}

// DefaultNonceCacheSize bounds a MemoryNonceCache made with size 0.
const DefaultNonceCacheSize = 1 << 16

// MemoryNonceCache is a NonceCache in memory with a bound on the number of
// entries. Entries expire after their ttl; when the cache is full the
// oldest entry is dropped, so under a flood of distinct authenticated
// requests an old nonce can be forgotten before its ttl: the bound wins
// over completeness. Each entry costs a fixed ~80 bytes whatever the
// sizes of id and nonce (it stores their SHA-256).
type MemoryNonceCache struct {
	mu    sync.Mutex
	max   int
	now   func() time.Time
	seen  map[[32]byte]int64 // digest -> expiry (unix nanoseconds)
	queue []nonceEntry       // insertion order; expiries are non-decreasing for one ttl
	head  int
}

type nonceEntry struct {
	key [32]byte
	exp int64
}

// NewMemoryNonceCache returns a cache of at most size entries
// (DefaultNonceCacheSize when size <= 0) on the clock now (time.Now when
// nil).
func NewMemoryNonceCache(size int, now func() time.Time) *MemoryNonceCache {
	if size <= 0 {
		size = DefaultNonceCacheSize
	}
	if now == nil {
		now = time.Now
	}
	return &MemoryNonceCache{max: size, now: now, seen: make(map[[32]byte]int64)}
}

// Add implements NonceCache.
func (c *MemoryNonceCache) Add(_ context.Context, id, ts, nonce string, ttl time.Duration) (bool, error) {
	var buf [256]byte
	b := append(buf[:0], id...)
	b = append(b, 0)
	b = append(b, ts...)
	b = append(b, 0)
	b = append(b, nonce...)
	key := sha256.Sum256(b)

	now := c.now().UnixNano()
	c.mu.Lock()
	defer c.mu.Unlock()
	if exp, ok := c.seen[key]; ok && exp > now {
		return false, nil
	}
	// Drop expired entries from the front, then the oldest while full.
	for c.head < len(c.queue) {
		e := c.queue[c.head]
		if e.exp > now && len(c.seen) < c.max {
			break
		}
		if c.seen[e.key] == e.exp {
			delete(c.seen, e.key)
		}
		c.head++
	}
	if c.head > len(c.queue)/2 && c.head > 64 {
		n := copy(c.queue, c.queue[c.head:])
		clear(c.queue[n:])
		c.queue = c.queue[:n]
		c.head = 0
	}
	exp := now + int64(ttl)
	c.seen[key] = exp
	c.queue = append(c.queue, nonceEntry{key: key, exp: exp})
	return true, nil
}

// Len returns the number of entries held.
func (c *MemoryNonceCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}
