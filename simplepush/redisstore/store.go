package redisstore

import (
	"github.com/appwire/appwire/simplepush"

	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Store is the Store that several server nodes share, durable
// across restarts (as durable as the Redis server is configured to be).
//
// # Key layout
//
// Two hashes per user agent, hash-tagged on the uaid so a Redis Cluster
// keeps them in one slot and the Lua scripts may touch both:
//
//	<prefix>{<uaid>}:user  node  name of the node holding the socket, "" when none
//	                       at    ConnectedAt of that socket (decimal), "0" when none
//	                       exp   Unix ms at which a disconnected user expires, 0 never
//	                       wk    the hello's wake-up data (JSON), absent when none
//	<prefix>{<uaid>}:ch    <chid> -> "<state>:<version>:<acked>:<exp>"
//	                       state r (registered), l (live) or d (deleted); version
//	                       and acked as 20-digit zero-padded decimals; exp in Unix
//	                       ms, 0 never. Pending: state l and version > acked.
//
// # Expiry
//
// Redis (before 7.4) cannot expire single hash fields, so each record
// carries its own expiry time (StoreTTLs, computed from Now) and is
// treated as absent from then on; scripts delete expired records when
// they meet them, and Connect, which runs at every hello, sweeps all of a
// user's channels while it restarts their clocks. Redis key expiry is
// only the garbage collector: every write gives both keys of the user the
// longest of the TTLs, so a user nobody writes to for that long (a
// crashed node's stale route included) disappears from Redis entirely.
// A socket that stays connected without a single write for that long
// loses its record, as it would with pushgo's memcache; the server
// re-creates it on the next register.
//
// Because expiry follows Now rather than Redis's clock, tests move time
// with an injected clock and nodes need clocks that agree to within a
// small fraction of the shortest TTL (hours).
type Store struct {
	rdb     redis.UniversalClient
	prefix  string
	ttl     simplepush.StoreTTLs
	now     func() time.Time
	keep    time.Duration // key lifetime; 0: none
	scripts redisScripts
	batch   batcher // the scripts of PUTs and acks (run, AckPending)
}

// Options configures NewStore.
type Options struct {
	// Prefix starts every key; "" means DefaultPrefix. Stores with
	// different prefixes share a Redis without seeing each other. It must
	// not contain '{' or '}' (the hash tag is the uaid).
	Prefix string
	TTLs   simplepush.StoreTTLs
	// Now is the clock for expiry; nil means time.Now.
	Now func() time.Time
}

// DefaultPrefix is the key prefix when Options.Prefix is "".
const DefaultPrefix = "sp:"

var _ simplepush.Store = (*Store)(nil)

// NewStore returns a store kept in rdb (a *redis.Client, a cluster
// or a failover client). The caller owns rdb and closes it.
func NewStore(rdb redis.UniversalClient, opts Options) (*Store, error) {
	if rdb == nil {
		return nil, errors.New("simplepush: redis: nil client")
	}
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
	}
	if strings.ContainsAny(opts.Prefix, "{}") {
		return nil, fmt.Errorf("simplepush: redis: prefix %q contains a brace", opts.Prefix)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	ttl := opts.TTLs.WithDefaults()
	keep := max(ttl.Live, ttl.Registered, ttl.Deleted, ttl.User)
	if min(ttl.Live, ttl.Registered, ttl.Deleted, ttl.User) < 0 {
		keep = 0 // some record never expires: neither may its key
	}
	return &Store{
		rdb: rdb, prefix: opts.Prefix, ttl: ttl, now: opts.Now, keep: keep,
		scripts: newRedisScripts(), batch: batcher{rdb: rdb},
	}, nil
}

func (s *Store) keys(uaid string) []string {
	base := s.prefix + "{" + uaid + "}:"
	return []string{base + "user", base + "ch"}
}

// args returns ARGV[1..6] of every script (see redisLuaPrelude) followed
// by extra.
func (s *Store) args(extra ...any) []any {
	now := s.now()
	at := func(ttl time.Duration) int64 {
		if ttl < 0 {
			return 0
		}
		return now.Add(ttl).UnixMilli()
	}
	a := make([]any, 0, 6+len(extra))
	a = append(a, now.UnixMilli(), s.keep.Milliseconds(),
		at(s.ttl.Registered), at(s.ttl.Live), at(s.ttl.Deleted), at(s.ttl.User))
	return append(a, extra...)
}

// run runs a script that answers a number.
func (s *Store) run(ctx context.Context, op string, sc *redis.Script, uaid string, extra ...any) (int64, error) {
	n, err := s.batch.run(ctx, sc, s.keys(uaid), s.args(extra...)).Int64()
	if err != nil {
		return 0, fmt.Errorf("simplepush: redis: %s: %w", op, err)
	}
	return n, nil
}

// Connect implements Store.
func (s *Store) Connect(ctx context.Context, uaid string, r simplepush.Route) (simplepush.Route, error) {
	at := strconv.FormatInt(r.ConnectedAt, 10)
	res, err := s.scripts.connect.Run(ctx, s.rdb, s.keys(uaid), s.args(r.Node, at)...).StringSlice()
	if err != nil {
		return simplepush.Route{}, fmt.Errorf("simplepush: redis: connect: %w", err)
	}
	if len(res) != 2 {
		return simplepush.Route{}, fmt.Errorf("simplepush: redis: connect: %d results", len(res))
	}
	return parseRoute(res[0], res[1])
}

func parseRoute(node, at string) (simplepush.Route, error) {
	if node == "" {
		return simplepush.Route{}, nil
	}
	n, err := strconv.ParseInt(at, 10, 64)
	if err != nil {
		return simplepush.Route{}, fmt.Errorf("simplepush: redis: bad connectedAt %q", at)
	}
	return simplepush.Route{Node: node, ConnectedAt: n}, nil
}

// Disconnect implements Store.
func (s *Store) Disconnect(ctx context.Context, uaid string, r simplepush.Route) error {
	_, err := s.run(ctx, "disconnect", s.scripts.disconnect, uaid, r.Node, strconv.FormatInt(r.ConnectedAt, 10))
	return err
}

// DropUser implements Store.
func (s *Store) DropUser(ctx context.Context, uaid string) error {
	if err := s.rdb.Del(ctx, s.keys(uaid)...).Err(); err != nil {
		return fmt.Errorf("simplepush: redis: drop user: %w", err)
	}
	return nil
}

// SetWakeup implements Store.
func (s *Store) SetWakeup(ctx context.Context, uaid string, w *simplepush.Wakeup) error {
	var js []byte
	if !w.IsZero() {
		var err error
		if js, err = json.Marshal(w); err != nil {
			return fmt.Errorf("simplepush: redis: wakeup: %w", err)
		}
	}
	n, err := s.run(ctx, "wakeup", s.scripts.setWakeup, uaid, js)
	if err == nil && n == redisUnknown {
		return simplepush.ErrUnknownUAID
	}
	return err
}

// Register implements Store.
func (s *Store) Register(ctx context.Context, uaid, chid string) error {
	n, err := s.run(ctx, "register", s.scripts.register, uaid, chid)
	if err == nil && n == redisUnknown {
		return simplepush.ErrUnknownUAID
	}
	return err
}

// Unregister implements Store.
func (s *Store) Unregister(ctx context.Context, uaid, chid string) error {
	_, err := s.run(ctx, "unregister", s.scripts.unregister, uaid, chid)
	return err
}

// Update implements Store.
func (s *Store) Update(ctx context.Context, uaid, chid string, version uint64) (bool, error) {
	n, err := s.run(ctx, "update", s.scripts.update, uaid, chid, version20(version))
	switch {
	case err != nil:
		return false, err
	case n == redisUnknown:
		return false, simplepush.ErrUnknownChannel
	}
	return n == redisDone, nil
}

// Ack implements Store.
func (s *Store) Ack(ctx context.Context, uaid, chid string, version uint64) error {
	_, err := s.run(ctx, "ack", s.scripts.ack, uaid, chid, version20(version))
	return err
}

// version20 is v as the 20-digit zero-padded decimal the scripts compare.
func version20(v uint64) string {
	var b [20]byte
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return string(b[:])
}

// Pending implements Store.
func (s *Store) Pending(ctx context.Context, uaid string, dst []simplepush.Update) ([]simplepush.Update, error) {
	k := s.keys(uaid)
	var u *redis.SliceCmd
	var ch *redis.MapStringStringCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		u = p.HMGet(ctx, k[0], "node", "exp")
		ch = p.HGetAll(ctx, k[1])
		return nil
	})
	if err != nil {
		return dst, fmt.Errorf("simplepush: redis: pending: %w", err)
	}
	return s.pendingOf(u.Val(), ch.Val(), dst), nil
}

// pendingOf appends the pending updates of a user read as HMGET node exp
// of its user hash and HGETALL of its channel hash.
func (s *Store) pendingOf(user []any, chans map[string]string, dst []simplepush.Update) []simplepush.Update {
	now := s.now().UnixMilli()
	if !userAlive(user, now) {
		return dst
	}
	start := len(dst)
	for chid, rec := range chans {
		if c, ok := parseRedisChannel(rec); ok && !c.dead(now) && c.pending() {
			dst = append(dst, simplepush.Update{ChannelID: chid, Version: c.version})
		}
	}
	slices.SortFunc(dst[start:], func(a, b simplepush.Update) int { return strings.Compare(a.ChannelID, b.ChannelID) })
	return dst
}

// AckPending implements simplepush.AckPender: one script records the
// acks and returns what is still pending, one command and one round trip
// where Ack and Pending take 1+N. (Script.Run loads the script again
// after a Redis restart dropped it.)
func (s *Store) AckPending(ctx context.Context, uaid string, acks []simplepush.Update, dst []simplepush.Update) ([]simplepush.Update, error) {
	extra := make([]any, 0, 2*len(acks))
	for _, a := range acks {
		extra = append(extra, a.ChannelID, version20(a.Version))
	}
	res, err := s.batch.run(ctx, s.scripts.ackPending, s.keys(uaid), s.args(extra...)).StringSlice()
	if err != nil {
		return dst, fmt.Errorf("simplepush: redis: ack pending: %w", err)
	}
	start := len(dst)
	for i := 0; i+1 < len(res); i += 2 {
		v, err := strconv.ParseUint(res[i+1], 10, 64)
		if err != nil {
			return dst[:start], fmt.Errorf("simplepush: redis: ack pending: version %q: %w", res[i+1], err)
		}
		dst = append(dst, simplepush.Update{ChannelID: res[i], Version: v})
	}
	slices.SortFunc(dst[start:], func(a, b simplepush.Update) int { return strings.Compare(a.ChannelID, b.ChannelID) })
	return dst, nil
}

var _ simplepush.AckPender = (*Store)(nil)

// user reads the user hash fields; nil values for a missing key.
func (s *Store) user(ctx context.Context, op, uaid string, fields ...string) ([]any, error) {
	v, err := s.rdb.HMGet(ctx, s.keys(uaid)[0], fields...).Result()
	if err != nil {
		return nil, fmt.Errorf("simplepush: redis: %s: %w", op, err)
	}
	return v, nil
}

// userAlive reports whether HMGET node, exp found a user that has not
// expired at now (Unix ms); a connected user never expires.
func userAlive(v []any, now int64) bool {
	node, ok1 := v[0].(string)
	exp, ok2 := v[1].(string)
	if !ok1 || !ok2 {
		return false
	}
	return node != "" || !expiredAt(exp, now)
}

func expiredAt(exp string, now int64) bool {
	n, err := strconv.ParseInt(exp, 10, 64)
	return err != nil || n != 0 && n <= now
}

// UserExists implements Store.
func (s *Store) UserExists(ctx context.Context, uaid string) (bool, error) {
	v, err := s.user(ctx, "user exists", uaid, "node", "exp")
	if err != nil {
		return false, err
	}
	return userAlive(v, s.now().UnixMilli()), nil
}

// Route implements Store.
func (s *Store) Route(ctx context.Context, uaid string) (simplepush.Route, error) {
	v, err := s.user(ctx, "route", uaid, "node", "exp", "at")
	if err != nil || !userAlive(v, s.now().UnixMilli()) {
		return simplepush.Route{}, err
	}
	at, _ := v[2].(string)
	return parseRoute(v[0].(string), at)
}

// Wakeup implements Store.
func (s *Store) Wakeup(ctx context.Context, uaid string) (*simplepush.Wakeup, error) {
	v, err := s.user(ctx, "wakeup", uaid, "node", "exp", "wk")
	if err != nil || !userAlive(v, s.now().UnixMilli()) {
		return nil, err
	}
	js, _ := v[2].(string)
	if js == "" {
		return nil, nil
	}
	w := new(simplepush.Wakeup)
	if err := json.Unmarshal([]byte(js), w); err != nil {
		return nil, fmt.Errorf("simplepush: redis: wakeup: %w", err)
	}
	return w, nil
}

// Channel implements Store.
func (s *Store) Channel(ctx context.Context, uaid, chid string) (simplepush.ChannelState, uint64, error) {
	k := s.keys(uaid)
	var u *redis.SliceCmd
	var rec *redis.StringCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		u = p.HMGet(ctx, k[0], "node", "exp")
		rec = p.HGet(ctx, k[1], chid)
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return simplepush.StateNone, 0, fmt.Errorf("simplepush: redis: channel: %w", err)
	}
	now := s.now().UnixMilli()
	if !userAlive(u.Val(), now) {
		return simplepush.StateNone, 0, nil
	}
	c, ok := parseRedisChannel(rec.Val())
	if !ok || c.dead(now) {
		return simplepush.StateNone, 0, nil
	}
	return c.state, c.version, nil
}
