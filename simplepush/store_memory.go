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

type memUser struct {
	route    Route
	wakeup   *Wakeup
	expires  time.Time // zero: never (connected)
	channels map[string]*memChannel
}

type memChannel struct {
	state   ChannelState
	version uint64
	acked   uint64
	expires time.Time // zero: never
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

func expiry(now time.Time, ttl time.Duration) time.Time {
	if ttl < 0 {
		return time.Time{}
	}
	return now.Add(ttl)
}

func expired(now, at time.Time) bool { return !at.IsZero() && !now.Before(at) }

// lookup returns the live record of uaid, dropping it when expired. The
// caller holds mu.
func (s *MemoryStore) lookup(uaid string, now time.Time) *memUser {
	u := s.user[uaid]
	if u != nil && u.route.Node == "" && expired(now, u.expires) {
		delete(s.user, uaid)
		return nil
	}
	return u
}

// channel returns the unexpired record of chid. The caller holds mu.
func (u *memUser) channel(chid string, now time.Time) *memChannel {
	c := u.channels[chid]
	if c != nil && expired(now, c.expires) {
		delete(u.channels, chid)
		return nil
	}
	return c
}

// mutated counts a write and sweeps every sweepEvery. Caller holds mu.
func (s *MemoryStore) mutated(now time.Time) {
	s.ops++
	if s.ops < sweepEvery {
		return
	}
	s.ops = 0
	for id, u := range s.user {
		if s.lookup(id, now) == nil {
			continue
		}
		for chid := range u.channels {
			u.channel(chid, now)
		}
	}
}

func (s *MemoryStore) begin(ctx context.Context) (time.Time, error) {
	if err := ctx.Err(); err != nil {
		return time.Time{}, err
	}
	s.mu.Lock()
	return s.now(), nil
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
		u = &memUser{channels: map[string]*memChannel{}}
		s.user[uaid] = u
	}
	prev := u.route
	u.route = r
	u.expires = expiry(now, s.ttl.User)
	for chid, c := range u.channels {
		if u.channel(chid, now) != nil {
			c.expires = expiry(now, s.ttl.For(c.state))
		}
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
	if c == nil || c.state == StateDeleted {
		c = &memChannel{state: StateRegistered}
		u.channels[strings.Clone(chid)] = c
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
			*c = memChannel{state: StateDeleted, expires: expiry(now, s.ttl.Deleted)}
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

func (u *memUser) ack(chid string, version uint64, now time.Time) {
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
func (u *memUser) pending(dst []Update, now time.Time) []Update {
	start := len(dst)
	for chid := range u.channels {
		if c := u.channel(chid, now); c != nil && c.state == StateLive && c.version > c.acked {
			dst = append(dst, Update{ChannelID: chid, Version: c.version})
		}
	}
	slices.SortFunc(dst[start:], func(a, b Update) int { return strings.Compare(a.ChannelID, b.ChannelID) })
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
