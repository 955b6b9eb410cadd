package redisstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/appwire/appwire/loopapi/hawk"
)

var _ hawk.NonceCache = (*Store)(nil)

// Add implements hawk.NonceCache with SET NX PX, so every node sharing
// the Redis refuses a Hawk header replayed to any of them. The key,
// hawknonce.<sha256(id, ts, nonce)>, has a fixed size whatever the header
// carries. (loop-server kept no nonces; see loopapi's doc.)
func (s *Store) Add(ctx context.Context, id, ts, nonce string, ttl time.Duration) (bool, error) {
	h := sha256.New()
	for _, p := range []string{id, ts, nonce} {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	ok, err := s.rdb.SetNX(ctx, s.k("hawknonce.", hex.EncodeToString(h.Sum(nil))), 1, ttl).Result()
	return ok, wrap("nonce", err)
}
