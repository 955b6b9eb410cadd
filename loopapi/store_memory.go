package loopapi

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// MemoryStore is the embedded Store: one process, nothing persisted.
// Records expire as the Redis keys do.
type MemoryStore struct {
	now func() time.Time

	mu    sync.Mutex
	kv    map[string]memEntry            // strings and JSON records
	sets  map[string]map[string]struct{} // sets; TTL in setTTL
	hash  map[string]map[string]string   // hashes; TTL in setTTL
	ttl   map[string]time.Time           // expiry of sets and hashes
	subs  map[string]map[*memSub]struct{}
	close bool

	maxKeys   int
	writes    int       // writes since the last sweep
	fullSweep time.Time // when the store, full, was last swept whole
}

type memEntry struct {
	v   any
	exp time.Time // zero: never
}

type memSub struct{ fn func(string) }

// MemoryStoreOptions configures NewMemoryStore.
type MemoryStoreOptions struct {
	// Now is the clock of expiries; nil means time.Now.
	Now func() time.Time
	// MaxKeys bounds the records held (sessions, call URLs, calls, set
	// and hash keys...); a write that would go beyond fails with
	// ErrStoreFull (the server answers 503). Default 1,000,000.
	MaxKeys int
}

// DefaultMemoryMaxKeys is MemoryStoreOptions.MaxKeys when zero.
const DefaultMemoryMaxKeys = 1_000_000

// ErrStoreFull: the memory store holds MaxKeys records.
var ErrStoreFull = errors.New("loopapi: memory store full")

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore(opts MemoryStoreOptions) *MemoryStore {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxKeys <= 0 {
		opts.MaxKeys = DefaultMemoryMaxKeys
	}
	return &MemoryStore{
		maxKeys: opts.MaxKeys,
		now:     opts.Now, kv: map[string]memEntry{}, sets: map[string]map[string]struct{}{},
		hash: map[string]map[string]string{}, ttl: map[string]time.Time{},
		subs: map[string]map[*memSub]struct{}{},
	}
}

// The helpers below run with mu held.

// room makes way for a write: every 64 writes it looks at 256 records
// and drops the expired ones (expiry is otherwise lazy, on access), and it
// refuses the write when the store is full even after a full sweep.
func (m *MemoryStore) room() error {
	m.writes++
	if m.writes >= 64 {
		m.writes = 0
		m.sweep(256)
	}
	if len(m.kv)+len(m.sets)+len(m.hash) < m.maxKeys {
		return nil
	}
	if now := m.now(); now.Sub(m.fullSweep) >= time.Second { // at most once a second
		m.fullSweep = now
		m.sweep(-1)
		if len(m.kv)+len(m.sets)+len(m.hash) < m.maxKeys {
			return nil
		}
	}
	return ErrStoreFull
}

// sweep looks at up to n records (n < 0: all), from wherever map
// iteration starts, and drops the expired ones.
func (m *MemoryStore) sweep(n int) {
	now := m.now()
	for k, e := range m.kv {
		if n == 0 {
			return
		}
		n--
		if !e.exp.IsZero() && !now.Before(e.exp) {
			delete(m.kv, k)
		}
	}
	for k, exp := range m.ttl {
		if n == 0 {
			return
		}
		n--
		if !now.Before(exp) {
			m.del(k)
		}
	}
}

func (m *MemoryStore) expired(exp time.Time) bool { return !exp.IsZero() && !m.now().Before(exp) }

func (m *MemoryStore) get(k string) (any, bool) {
	e, ok := m.kv[k]
	if !ok {
		return nil, false
	}
	if m.expired(e.exp) {
		delete(m.kv, k)
		return nil, false
	}
	return e.v, true
}

func (m *MemoryStore) set(k string, v any, ttl time.Duration) {
	var exp time.Time
	if ttl != 0 {
		exp = m.now().Add(ttl)
	}
	m.kv[k] = memEntry{v: v, exp: exp}
}

func (m *MemoryStore) alive(k string) bool {
	if exp, ok := m.ttl[k]; ok && m.expired(exp) {
		delete(m.sets, k)
		delete(m.hash, k)
		delete(m.ttl, k)
		return false
	}
	return true
}

func (m *MemoryStore) members(k string) map[string]struct{} {
	if !m.alive(k) {
		return nil
	}
	return m.sets[k]
}

func (m *MemoryStore) sadd(k, member string, ttl time.Duration) {
	if !m.alive(k) || m.sets[k] == nil {
		m.sets[k] = map[string]struct{}{}
	}
	m.sets[k][member] = struct{}{}
	m.expire(k, ttl)
}

func (m *MemoryStore) srem(k, member string) {
	if s := m.members(k); s != nil {
		delete(s, member)
		if len(s) == 0 {
			m.del(k)
		}
	}
}

func (m *MemoryStore) expire(k string, ttl time.Duration) {
	if e, ok := m.kv[k]; ok {
		e.exp = m.now().Add(ttl)
		m.kv[k] = e
		return
	}
	if m.sets[k] != nil || m.hash[k] != nil {
		m.ttl[k] = m.now().Add(ttl)
	}
}

func (m *MemoryStore) del(k string) {
	delete(m.kv, k)
	delete(m.sets, k)
	delete(m.hash, k)
	delete(m.ttl, k)
}

// Ping implements Store.
func (m *MemoryStore) Ping(context.Context) error { return nil }

// CreateSession implements Store.
func (m *MemoryStore) CreateSession(_ context.Context, id, key string, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.room(); err != nil {
		return err
	}
	m.set("hawk."+id, key, ttl)
	return nil
}

// Session implements Store.
func (m *MemoryStore) Session(_ context.Context, id string) (Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.get("hawk." + id)
	if !ok {
		return Session{}, ErrNotFound
	}
	ses := Session{Key: v.(string), TTL: time.Duration(1<<63 - 1)}
	if exp := m.kv["hawk."+id].exp; !exp.IsZero() {
		ses.TTL = exp.Sub(m.now())
	}
	if u, ok := m.get("hawkuser." + id); ok {
		ses.User = u.(string)
		if ident, ok := m.get("userid." + id); ok {
			ses.Identity = ident.(string)
		}
	}
	return ses, nil
}

// SessionKey implements Store.
func (m *MemoryStore) SessionKey(ctx context.Context, id string) (string, error) {
	ses, err := m.Session(ctx, id)
	return ses.Key, err
}

// SetSessionUser implements Store.
func (m *MemoryStore) SetSessionUser(_ context.Context, id, user, identity string, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.room(); err != nil {
		return err
	}
	m.set("hawkuser."+id, user, ttl)
	m.set("userid."+id, identity, ttl)
	return nil
}

// TouchSession implements Store.
func (m *MemoryStore) TouchSession(_ context.Context, user, id string, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range touchKeys(user, id) {
		if _, ok := m.get(k); ok || m.members(k) != nil || (m.alive(k) && m.hash[k] != nil) {
			m.expire(k, ttl)
		}
	}
	return nil
}

// touchKeys are the keys upstream's touchHawkSession refreshes.
func touchKeys(user, id string) []string {
	return []string{
		"userid." + id, "hawk." + id, "hawkuser." + id,
		"spurls." + user, "spurls." + user + "." + id,
		"userUrls." + user, "userCalls." + user, "userRooms." + user,
	}
}

// DeleteSession implements Store.
func (m *MemoryStore) DeleteSession(_ context.Context, user, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.srem("spurls."+user, id)
	m.del("spurls." + user + "." + id)
	m.del("hawk." + id)
	m.del("hawkuser." + id)
	m.del("userid." + id)
	return nil
}

// DeleteAccount implements Store.
func (m *MemoryStore) DeleteAccount(_ context.Context, user, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for sid := range m.members("spurls." + user) {
		m.del("spurls." + user + "." + sid)
	}
	m.del("spurls." + user)
	for _, set := range []string{"userUrls.", "userCalls.", "userRooms."} {
		for k := range m.members(set + user) {
			m.del(k)
			if strings.HasPrefix(k, "call.") {
				m.del("callstate." + strings.TrimPrefix(k, "call."))
			}
		}
		m.del(set + user)
	}
	m.del("hawk." + id)
	m.del("hawkuser." + id)
	m.del("userid." + id)
	return nil
}

// SetPushURLs implements Store.
func (m *MemoryStore) SetPushURLs(_ context.Context, user, id string, urls map[string]string, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.room(); err != nil {
		return err
	}
	k := "spurls." + user + "." + id
	if !m.alive(k) || m.hash[k] == nil {
		m.hash[k] = map[string]string{}
	}
	maps.Copy(m.hash[k], urls)
	m.expire(k, ttl)
	m.sadd("spurls."+user, id, ttl)
	return nil
}

// DeletePushURLs implements Store.
func (m *MemoryStore) DeletePushURLs(_ context.Context, user, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.srem("spurls."+user, id)
	m.del("spurls." + user + "." + id)
	return nil
}

// PushURLs implements Store.
func (m *MemoryStore) PushURLs(_ context.Context, user, topic string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	seen := map[string]bool{}
	for id := range m.members("spurls." + user) {
		k := "spurls." + user + "." + id
		if !m.alive(k) {
			continue
		}
		if u := m.hash[k][topic]; u != "" {
			seen[u] = true
		}
	}
	return slices.Sorted(maps.Keys(seen)), nil
}

// SetCallURL implements Store.
func (m *MemoryStore) SetCallURL(_ context.Context, u CallURL, userTTL time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.room(); err != nil {
		return err
	}
	ttl := time.Unix(u.Expires, 0).Sub(m.now())
	if ttl <= 0 {
		m.del("callurl." + u.Token)
	} else {
		m.set("callurl."+u.Token, u, ttl)
	}
	m.sadd("userUrls."+u.UserMac, "callurl."+u.Token, userTTL)
	return nil
}

// CallURL implements Store.
func (m *MemoryStore) CallURL(_ context.Context, token string) (CallURL, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.get("callurl." + token)
	if !ok {
		return CallURL{}, ErrNotFound
	}
	return v.(CallURL), nil
}

// CallURLs implements Store.
func (m *MemoryStore) CallURLs(_ context.Context, user string) ([]CallURL, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []CallURL
	for k := range m.members("userUrls." + user) {
		v, ok := m.get(k)
		if !ok {
			m.srem("userUrls."+user, k)
			continue
		}
		out = append(out, v.(CallURL))
	}
	sortCallURLs(out)
	return out, nil
}

func sortCallURLs(u []CallURL) {
	sort.Slice(u, func(i, j int) bool {
		if u[i].Timestamp != u[j].Timestamp {
			return u[i].Timestamp < u[j].Timestamp
		}
		return u[i].Token < u[j].Token
	})
}

// DeleteCallURL implements Store.
func (m *MemoryStore) DeleteCallURL(_ context.Context, user, token string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.del("callurl." + token)
	m.srem("userUrls."+user, "callurl."+token)
	return nil
}

// AddCall implements Store.
func (m *MemoryStore) AddCall(_ context.Context, callee string, c Call, ttl, userTTL time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.room(); err != nil {
		return err
	}
	m.set("call."+c.CallID, c, ttl)
	m.del("callstate." + c.CallID)
	m.sadd("callstate."+c.CallID, MarkInit, ttl)
	m.sadd("userCalls."+callee, "call."+c.CallID, userTTL)
	return nil
}

// Call implements Store.
func (m *MemoryStore) Call(_ context.Context, callID string) (Call, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.get("call." + callID)
	if !ok {
		return Call{}, ErrNotFound
	}
	return v.(Call), nil
}

// Calls implements Store.
func (m *MemoryStore) Calls(_ context.Context, callee string) ([]Call, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Call
	for k := range m.members("userCalls." + callee) {
		v, ok := m.get(k)
		if !ok {
			m.srem("userCalls."+callee, k)
			continue
		}
		out = append(out, v.(Call))
	}
	sortCalls(out)
	return out, nil
}

func sortCalls(c []Call) {
	sort.Slice(c, func(i, j int) bool {
		if c[i].Timestamp != c[j].Timestamp {
			return c[i].Timestamp < c[j].Timestamp
		}
		return c[i].CallID < c[j].CallID
	})
}

// AddCallState implements Store.
func (m *MemoryStore) AddCallState(_ context.Context, callID, marker string) (CallState, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.members("callstate." + callID)
	if s == nil {
		return StateTerminated, nil
	}
	s[marker] = struct{}{}
	return StateOf(int64(len(s))), nil
}

// CallState implements Store.
func (m *MemoryStore) CallState(_ context.Context, callID string) (CallState, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := StateOf(int64(len(m.members("callstate." + callID))))
	var reason string
	if st == StateTerminated {
		if v, ok := m.get("callStateReason." + callID); ok {
			reason = v.(string)
		}
	}
	return st, reason, nil
}

// TerminateCall implements Store.
func (m *MemoryStore) TerminateCall(_ context.Context, callID, reason string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	ttl := time.Minute
	if e, ok := m.kv["call."+callID]; ok && !e.exp.IsZero() {
		ttl = max(e.exp.Sub(m.now()), time.Second)
	}
	m.del("callstate." + callID)
	if reason != "" {
		m.set("callStateReason."+callID, reason, ttl)
	}
	return nil
}

// ConnectDevice implements Store.
func (m *MemoryStore) ConnectDevice(_ context.Context, callID, role string, delta int64) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.room(); err != nil {
		return 0, err
	}
	k := "call.devices." + callID + "." + role
	v, _ := m.get(k)
	n, _ := v.(int64)
	n += delta
	m.set(k, n, time.Minute)
	return n, nil
}

// Publish implements Store.
func (m *MemoryStore) Publish(_ context.Context, channel, msg string) error {
	m.mu.Lock()
	subs := make([]*memSub, 0, len(m.subs[channel]))
	for s := range m.subs[channel] {
		subs = append(subs, s)
	}
	m.mu.Unlock()
	for _, s := range subs {
		s.fn(msg)
	}
	return nil
}

// Subscribe implements Store.
func (m *MemoryStore) Subscribe(_ context.Context, channel string, fn func(string)) (func(), error) {
	s := &memSub{fn: fn}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.subs[channel] == nil {
		m.subs[channel] = map[*memSub]struct{}{}
	}
	m.subs[channel][s] = struct{}{}
	return func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		delete(m.subs[channel], s)
		if len(m.subs[channel]) == 0 {
			delete(m.subs, channel)
		}
	}, nil
}

// SetRoom implements Store.
func (m *MemoryStore) SetRoom(_ context.Context, r Room, userTTL time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.room(); err != nil {
		return err
	}
	ttl := time.Unix(r.ExpiresAt, 0).Sub(m.now())
	if ttl <= 0 {
		m.del("room." + r.Token)
		return nil
	}
	m.set("room."+r.Token, r, ttl)
	m.sadd("userRooms."+r.OwnerMac, "room."+r.Token, max(userTTL, ttl))
	return nil
}

// Room implements Store.
func (m *MemoryStore) Room(_ context.Context, token string) (Room, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.get("room." + token)
	if !ok {
		return Room{}, ErrNotFound
	}
	return v.(Room), nil
}

// Rooms implements Store.
func (m *MemoryStore) Rooms(_ context.Context, user string) ([]Room, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Room
	for k := range m.members("userRooms." + user) {
		v, ok := m.get(k)
		if !ok {
			m.srem("userRooms."+user, k)
			continue
		}
		out = append(out, v.(Room))
	}
	sortRooms(out)
	return out, nil
}

func sortRooms(r []Room) {
	sort.Slice(r, func(i, j int) bool {
		if r[i].CreationTime != r[j].CreationTime {
			return r[i].CreationTime < r[j].CreationTime
		}
		return r[i].Token < r[j].Token
	})
}

// DeleteRoom implements Store.
func (m *MemoryStore) DeleteRoom(_ context.Context, user, token string, at time.Time, deletedTTL time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.del("room." + token)
	m.del("roomparticipants." + token)
	m.srem("userRooms."+user, "room."+token)
	m.set("room.deleted."+token, at.Unix(), deletedTTL)
	m.sadd("userRooms.deleted."+user, token, deletedTTL)
	return nil
}

// DeletedRooms implements Store.
func (m *MemoryStore) DeletedRooms(_ context.Context, user string, since int64) (map[string]int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]int64{}
	for tok := range m.members("userRooms.deleted." + user) {
		v, ok := m.get("room.deleted." + tok)
		if !ok {
			continue
		}
		if at := v.(int64); at >= since {
			out[tok] = at
		}
	}
	return out, nil
}

func (m *MemoryStore) liveParticipants(token string) map[string]string {
	k := "roomparticipants." + token
	if !m.alive(k) {
		return nil
	}
	return m.hash[k]
}

// JoinRoom implements Store.
func (m *MemoryStore) JoinRoom(_ context.Context, token string, p Participant, maxSize int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.room(); err != nil {
		return err
	}
	k := "roomparticipants." + token
	parts := decodeParticipants(m.liveParticipants(token), m.now().UnixMilli())
	others := 0
	for _, q := range parts {
		if q.ID != p.ID {
			others++
		}
	}
	if others >= maxSize {
		return ErrRoomFull
	}
	if m.hash[k] == nil {
		m.hash[k] = map[string]string{}
	}
	m.hash[k][p.ID] = string(rawJSON(p))
	exp := time.UnixMilli(p.ExpiresAt)
	if cur, ok := m.ttl[k]; !ok || exp.After(cur) {
		m.ttl[k] = exp
	}
	return nil
}

// Participants implements Store.
func (m *MemoryStore) Participants(_ context.Context, token string) ([]Participant, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return decodeParticipants(m.liveParticipants(token), m.now().UnixMilli()), nil
}

// LeaveRoom implements Store.
func (m *MemoryStore) LeaveRoom(_ context.Context, token, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.liveParticipants(token), id)
	return nil
}

// SetParticipantToken implements Store.
func (m *MemoryStore) SetParticipantToken(_ context.Context, token, tokenHmac, id string, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.room(); err != nil {
		return err
	}
	m.set("roomparticipant_access_token."+token+"."+tokenHmac, id, ttl)
	return nil
}

// ParticipantToken implements Store.
func (m *MemoryStore) ParticipantToken(_ context.Context, token, tokenHmac string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.get("roomparticipant_access_token." + token + "." + tokenHmac)
	if !ok {
		return "", ErrNotFound
	}
	return v.(string), nil
}

// Close implements Store.
func (m *MemoryStore) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.close = true
	m.subs = map[string]map[*memSub]struct{}{}
	return nil
}
