package simplepush

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"
)

// MemoryStore is the in-process Store: one node, nothing survives a
// restart. The zero value is not usable; call NewMemoryStore.
type MemoryStore struct {
	now  func() time.Time
	ttl  StoreTTLs
	mu   sync.Mutex
	ops  int // mutations since the last sweep
	user map[string]*memUser
}

// memUser is one user agent's record. Its channels are a slice sorted
// by channel ID rather than a map: most user agents hold one or a few
// channels, and a Go map with one entry costs about 250 bytes where a
// one-element slice costs 48; Pending wants them in ID order anyway.
// Times are Unix nanoseconds, 0 meaning never.
type memUser struct {
	route    Route
	wakeup   *Wakeup
	expires  int64 // 0: never (connected)
	channels []memChannel
}

type memChannel struct {
	id      string
	state   ChannelState
	version uint64
	acked   uint64
	expires int64 // 0: never
}

// MemoryStoreOptions configures NewMemoryStore.
type MemoryStoreOptions struct {
	TTLs StoreTTLs
	// Now is the clock for expiry; nil means time.Now.
	Now func() time.Time
}

// NewMemoryStore returns an empty in-memory store.
func NewMemoryStore(opts MemoryStoreOptions) *MemoryStore {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &MemoryStore{now: opts.Now, ttl: opts.TTLs.WithDefaults(), user: map[string]*memUser{}}
}

var _ Store = (*MemoryStore)(nil)

// sweepEvery is how many mutations pass between full expiry sweeps; the
// sweep is O(records), so its cost per mutation is constant.
const sweepEvery = 4096

func expiry(now int64, ttl time.Duration) int64 {
	if ttl < 0 {
		return 0
	}
	return now + int64(ttl)
}

func expired(now, at int64) bool { return at != 0 && now >= at }

// lookup returns the live record of uaid, dropping it when expired. The
// caller holds mu.
func (s *MemoryStore) lookup(uaid string, now int64) *memUser {
	u := s.user[uaid]
	if u != nil && u.route.Node == "" && expired(now, u.expires) {
		delete(s.user, uaid)
		return nil
	}
	return u
}

// find returns the index of chid in u.channels, or where it would go.
func (u *memUser) find(chid string) (int, bool) {
	return slices.BinarySearchFunc(u.channels, chid, func(c memChannel, id string) int { return strings.Compare(c.id, id) })
}

// channel returns the unexpired record of chid. The caller holds mu; the
// pointer is valid until the next change to u.channels.
func (u *memUser) channel(chid string, now int64) *memChannel {
	i, ok := u.find(chid)
	if !ok {
		return nil
	}
	if expired(now, u.channels[i].expires) {
		u.channels = slices.Delete(u.channels, i, i+1)
		return nil
	}
	return &u.channels[i]
}

// sweep drops the expired channels of u. The caller holds mu.
func (u *memUser) sweep(now int64) {
	u.channels = slices.DeleteFunc(u.channels, func(c memChannel) bool { return expired(now, c.expires) })
}

// mutated counts a write and sweeps every sweepEvery. Caller holds mu.
func (s *MemoryStore) mutated(now int64) {
	s.ops++
	if s.ops < sweepEvery {
		return
	}
	s.ops = 0
	for id, u := range s.user {
		if s.lookup(id, now) != nil {
			u.sweep(now)
		}
	}
}

func (s *MemoryStore) begin(ctx context.Context) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	return s.now().UnixNano(), nil
}

// UserExists implements Store.
func (s *MemoryStore) UserExists(ctx context.Context, uaid string) (bool, error) {
	now, err := s.begin(ctx)
	if err != nil {
		return false, err
	}
	defer s.mu.Unlock()
	return s.lookup(uaid, now) != nil, nil
}

// Connect implements Store.
func (s *MemoryStore) Connect(ctx context.Context, uaid string, r Route) (Route, error) {
	now, err := s.begin(ctx)
	if err != nil {
		return Route{}, err
	}
	defer s.mu.Unlock()
	s.mutated(now)
	u := s.lookup(uaid, now)
	if u == nil {
		u = &memUser{}
		s.user[uaid] = u
	}
	prev := u.route
	u.route = r
	u.expires = expiry(now, s.ttl.User)
	u.sweep(now)
	for i := range u.channels {
		c := &u.channels[i]
		c.expires = expiry(now, s.ttl.For(c.state))
	}
	return prev, nil
}

// Disconnect implements Store.
func (s *MemoryStore) Disconnect(ctx context.Context, uaid string, r Route) error {
	now, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	if u := s.lookup(uaid, now); u != nil && u.route == r {
		u.route = Route{}
		u.expires = expiry(now, s.ttl.User)
	}
	return nil
}

// Route implements Store.
func (s *MemoryStore) Route(ctx context.Context, uaid string) (Route, error) {
	now, err := s.begin(ctx)
	if err != nil {
		return Route{}, err
	}
	defer s.mu.Unlock()
	if u := s.lookup(uaid, now); u != nil {
		return u.route, nil
	}
	return Route{}, nil
}

// DropUser implements Store.
func (s *MemoryStore) DropUser(ctx context.Context, uaid string) error {
	if _, err := s.begin(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	delete(s.user, uaid)
	return nil
}

// SetWakeup implements Store.
func (s *MemoryStore) SetWakeup(ctx context.Context, uaid string, w *Wakeup) error {
	now, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	u := s.lookup(uaid, now)
	if u == nil {
		return ErrUnknownUAID
	}
	if w.IsZero() {
		u.wakeup = nil
		return nil
	}
	c := *w
	u.wakeup = &c
	return nil
}

// Wakeup implements Store.
func (s *MemoryStore) Wakeup(ctx context.Context, uaid string) (*Wakeup, error) {
	now, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	if u := s.lookup(uaid, now); u != nil && u.wakeup != nil {
		c := *u.wakeup
		return &c, nil
	}
	return nil, nil
}

// Register implements Store.
func (s *MemoryStore) Register(ctx context.Context, uaid, chid string) error {
	now, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	s.mutated(now)
	u := s.lookup(uaid, now)
	if u == nil {
		return ErrUnknownUAID
	}
	c := u.channel(chid, now)
	switch {
	case c == nil:
		i, _ := u.find(chid)
		u.channels = slices.Insert(u.channels, i, memChannel{id: strings.Clone(chid), state: StateRegistered})
		c = &u.channels[i]
	case c.state == StateDeleted:
		*c = memChannel{id: c.id, state: StateRegistered}
	}
	c.expires = expiry(now, s.ttl.For(c.state))
	return nil
}

// Unregister implements Store.
func (s *MemoryStore) Unregister(ctx context.Context, uaid, chid string) error {
	now, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	s.mutated(now)
	if u := s.lookup(uaid, now); u != nil {
		if c := u.channel(chid, now); c != nil && c.state != StateDeleted {
			*c = memChannel{id: c.id, state: StateDeleted, expires: expiry(now, s.ttl.Deleted)}
		}
	}
	return nil
}

// Update implements Store.
func (s *MemoryStore) Update(ctx context.Context, uaid, chid string, version uint64) (bool, error) {
	now, err := s.begin(ctx)
	if err != nil {
		return false, err
	}
	defer s.mu.Unlock()
	s.mutated(now)
	u := s.lookup(uaid, now)
	if u == nil {
		return false, ErrUnknownChannel
	}
	c := u.channel(chid, now)
	if c == nil || c.state == StateDeleted {
		return false, ErrUnknownChannel
	}
	if version <= c.version {
		return false, nil
	}
	c.version, c.state = version, StateLive
	c.expires = expiry(now, s.ttl.Live)
	return true, nil
}

// Ack implements Store.
func (s *MemoryStore) Ack(ctx context.Context, uaid, chid string, version uint64) error {
	now, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	if u := s.lookup(uaid, now); u != nil {
		u.ack(chid, version, now)
	}
	return nil
}

func (u *memUser) ack(chid string, version uint64, now int64) {
	if c := u.channel(chid, now); c != nil && c.state == StateLive && version >= c.version {
		c.acked = c.version
	}
}

// Pending implements Store.
func (s *MemoryStore) Pending(ctx context.Context, uaid string, dst []Update) ([]Update, error) {
	now, err := s.begin(ctx)
	if err != nil {
		return dst, err
	}
	defer s.mu.Unlock()
	if u := s.lookup(uaid, now); u != nil {
		dst = u.pending(dst, now)
	}
	return dst, nil
}

// AckPending implements AckPender: the acks and the read under one lock.
func (s *MemoryStore) AckPending(ctx context.Context, uaid string, acks []Update, dst []Update) ([]Update, error) {
	now, err := s.begin(ctx)
	if err != nil {
		return dst, err
	}
	defer s.mu.Unlock()
	if u := s.lookup(uaid, now); u != nil {
		for _, a := range acks {
			u.ack(a.ChannelID, a.Version, now)
		}
		dst = u.pending(dst, now)
	}
	return dst, nil
}

// pending appends the unacked live channels in channel ID order.
func (u *memUser) pending(dst []Update, now int64) []Update {
	for i := range u.channels {
		c := &u.channels[i]
		if !expired(now, c.expires) && c.state == StateLive && c.version > c.acked {
			dst = append(dst, Update{ChannelID: c.id, Version: c.version})
		}
	}
	return dst
}

var _ AckPender = (*MemoryStore)(nil)

// Channel implements Store.
func (s *MemoryStore) Channel(ctx context.Context, uaid, chid string) (ChannelState, uint64, error) {
	now, err := s.begin(ctx)
	if err != nil {
		return StateNone, 0, err
	}
	defer s.mu.Unlock()
	if u := s.lookup(uaid, now); u != nil {
		if c := u.channel(chid, now); c != nil {
			return c.state, c.version, nil
		}
	}
	return StateNone, 0, nil
}

// MemoryBus is the in-process Bus: nodes are Servers in the same process
// (tests, or several listeners sharing one MemoryStore).
type MemoryBus struct {
	mu   sync.Mutex
	subs map[string]*memSub
}

type memSub struct {
	h func(context.Context, BusMessage) bool
}

// NewMemoryBus returns an empty bus.
func NewMemoryBus() *MemoryBus { return &MemoryBus{subs: map[string]*memSub{}} }

var _ Bus = (*MemoryBus)(nil)

// Publish implements Bus; it calls the node's handler in the caller's
// goroutine.
func (b *MemoryBus) Publish(ctx context.Context, node string, m BusMessage) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	b.mu.Lock()
	sub := b.subs[node]
	b.mu.Unlock()
	if sub == nil {
		return false, nil
	}
	return sub.h(ctx, m), nil
}

// Subscribe implements Bus. A second subscription for the same node
// replaces the first.
func (b *MemoryBus) Subscribe(node string, h func(context.Context, BusMessage) bool) (func(), error) {
	sub := &memSub{h: h}
	b.mu.Lock()
	b.subs[node] = sub
	b.mu.Unlock()
	return func() {
		b.mu.Lock()
		if b.subs[node] == sub {
			delete(b.subs, node)
		}
		b.mu.Unlock()
	}, nil
}
