// Package redisstore is the Redis loopapi.Store: upstream loop-server's
// key layout (docs/protocols/loop.md section 6), so several server
// processes on one Redis serve the same users, and call progress crosses
// nodes over Redis pub/sub.
//
//	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
//	st, _ := redisstore.New(rdb, redisstore.Options{})
//	srv, _ := loopapi.NewServer(loopapi.Options{Store: st})
//
// Keys (with Options.Prefix in front of each):
//
//	hawk.<id>                         string  the session's Hawk key
//	hawkuser.<id>, userid.<id>        string  the registered user and sealed identity
//	spurls.<user>                     set     the user's session ids with push URLs
//	spurls.<user>.<id>                hash    topic -> push URL
//	callurl.<token>                   string  JSON call URL, until it expires
//	userUrls.<user>                   set     "callurl.<token>"
//	call.<callId>                     string  JSON call, callDuration
//	userCalls.<user>                  set     "call.<callId>"
//	callstate.<callId>                set     state markers; the state is its SCARD
//	callStateReason.<callId>          string  why the call terminated
//	call.devices.<callId>.<role>      counter websockets of a party
//	room.<token>, userRooms.<user>    string/set
//	roomparticipants.<token>          hash    participant id -> JSON
//	roomparticipant_access_token.<token>.<tokenHmac>  string
//	room.deleted.<token>, userRooms.deleted.<user>    deletions, for GET /rooms?version=
//
// Call progress is PUBLISHed on channel <prefix><callId> as "state[:reason]".
package redisstore

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/appwire/appwire/loopapi"
)

// Options configures New.
type Options struct {
	// Prefix goes in front of every key and channel, so several
	// deployments (or tests) can share one Redis; "" is upstream's layout.
	Prefix string
	// Now is the clock of the expiries the store computes (participants);
	// nil means time.Now.
	Now func() time.Time
}

// Store is the Redis loopapi.Store.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
	now    func() time.Time

	subMu   sync.Mutex
	ps      *redis.PubSub
	subs    map[string]map[*sub]struct{} // channel (with prefix) -> local subscribers
	waiting map[string][]chan struct{}   // channel -> Subscribe calls waiting for the confirmation
	done    chan struct{}                // closed when the reader has stopped
	closed  bool
}

type sub struct{ fn func(string) }

var _ loopapi.Store = (*Store)(nil)

// New returns a Store over rdb. Close does not close rdb.
func New(rdb redis.UniversalClient, opts Options) (*Store, error) {
	if rdb == nil {
		return nil, errors.New("redisstore: nil client")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Store{rdb: rdb, prefix: opts.Prefix, now: opts.Now,
		subs: map[string]map[*sub]struct{}{}, waiting: map[string][]chan struct{}{}}, nil
}

func (s *Store) k(parts ...string) string { return s.prefix + strings.Join(parts, "") }

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, redis.Nil) {
		return loopapi.ErrNotFound
	}
	return fmt.Errorf("redisstore: %s: %w", op, err)
}

// Ping implements loopapi.Store.
func (s *Store) Ping(ctx context.Context) error { return wrap("ping", s.rdb.Ping(ctx).Err()) }

// CreateSession implements loopapi.Store.
func (s *Store) CreateSession(ctx context.Context, id, key string, ttl time.Duration) error {
	return wrap("create session", s.rdb.Set(ctx, s.k("hawk.", id), key, ttl).Err())
}

// Session implements loopapi.Store: one pipeline of GET hawk., GET
// hawkuser., GET userid. and PTTL hawk.
func (s *Store) Session(ctx context.Context, id string) (loopapi.Session, error) {
	var key, user, ident *redis.StringCmd
	var ttl *redis.DurationCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		key = p.Get(ctx, s.k("hawk.", id))
		user = p.Get(ctx, s.k("hawkuser.", id))
		ident = p.Get(ctx, s.k("userid.", id))
		ttl = p.PTTL(ctx, s.k("hawk.", id))
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return loopapi.Session{}, wrap("session", err)
	}
	if key.Err() != nil {
		return loopapi.Session{}, wrap("session", key.Err())
	}
	ses := loopapi.Session{Key: key.Val(), User: user.Val(), Identity: ident.Val(), TTL: ttl.Val()}
	if ses.TTL < 0 { // no expiry (-1)
		ses.TTL = time.Duration(1<<63 - 1)
	}
	return ses, nil
}

// SessionKey implements loopapi.Store.
func (s *Store) SessionKey(ctx context.Context, id string) (string, error) {
	v, err := s.rdb.Get(ctx, s.k("hawk.", id)).Result()
	return v, wrap("session key", err)
}

// SetSessionUser implements loopapi.Store.
func (s *Store) SetSessionUser(ctx context.Context, id, user, identity string, ttl time.Duration) error {
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, s.k("hawkuser.", id), user, ttl)
		p.Set(ctx, s.k("userid.", id), identity, ttl)
		return nil
	})
	return wrap("set session user", err)
}

// TouchSession implements loopapi.Store.
func (s *Store) TouchSession(ctx context.Context, user, id string, ttl time.Duration) error {
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range []string{
			"userid." + id, "hawk." + id, "hawkuser." + id,
			"spurls." + user, "spurls." + user + "." + id,
			"userUrls." + user, "userCalls." + user, "userRooms." + user,
		} {
			p.PExpire(ctx, s.k(k), ttl)
		}
		return nil
	})
	return wrap("touch session", err)
}

// DeleteSession implements loopapi.Store.
func (s *Store) DeleteSession(ctx context.Context, user, id string) error {
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.SRem(ctx, s.k("spurls.", user), id)
		p.Del(ctx, s.k("spurls.", user, ".", id), s.k("hawk.", id), s.k("hawkuser.", id), s.k("userid.", id))
		return nil
	})
	return wrap("delete session", err)
}

// DeleteAccount implements loopapi.Store.
func (s *Store) DeleteAccount(ctx context.Context, user, id string) error {
	var del []string
	ids, err := s.rdb.SMembers(ctx, s.k("spurls.", user)).Result()
	if err != nil {
		return wrap("delete account", err)
	}
	for _, sid := range ids {
		del = append(del, s.k("spurls.", user, ".", sid))
	}
	for _, set := range []string{"userUrls.", "userCalls.", "userRooms."} {
		members, err := s.rdb.SMembers(ctx, s.k(set, user)).Result()
		if err != nil {
			return wrap("delete account", err)
		}
		for _, m := range members {
			del = append(del, s.k(m))
			if cid, ok := strings.CutPrefix(m, "call."); ok {
				del = append(del, s.k("callstate.", cid))
			}
		}
		del = append(del, s.k(set, user))
	}
	del = append(del, s.k("spurls.", user), s.k("hawk.", id), s.k("hawkuser.", id), s.k("userid.", id))
	return wrap("delete account", s.rdb.Del(ctx, del...).Err())
}

// SetPushURLs implements loopapi.Store.
func (s *Store) SetPushURLs(ctx context.Context, user, id string, urls map[string]string, ttl time.Duration) error {
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		h := s.k("spurls.", user, ".", id)
		p.HSet(ctx, h, urls)
		p.PExpire(ctx, h, ttl)
		p.SAdd(ctx, s.k("spurls.", user), id)
		p.PExpire(ctx, s.k("spurls.", user), ttl)
		return nil
	})
	return wrap("set push urls", err)
}

// DeletePushURLs implements loopapi.Store.
func (s *Store) DeletePushURLs(ctx context.Context, user, id string) error {
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.SRem(ctx, s.k("spurls.", user), id)
		p.Del(ctx, s.k("spurls.", user, ".", id))
		return nil
	})
	return wrap("delete push urls", err)
}

// PushURLs implements loopapi.Store.
func (s *Store) PushURLs(ctx context.Context, user, topic string) ([]string, error) {
	ids, err := s.rdb.SMembers(ctx, s.k("spurls.", user)).Result()
	if err != nil || len(ids) == 0 {
		return nil, wrap("push urls", err)
	}
	cmds, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, id := range ids {
			p.HGet(ctx, s.k("spurls.", user, ".", id), topic)
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, wrap("push urls", err)
	}
	var out []string
	for _, c := range cmds {
		if u, err := c.(*redis.StringCmd).Result(); err == nil && u != "" && !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	slices.Sort(out)
	return out, nil
}

// SetCallURL implements loopapi.Store.
func (s *Store) SetCallURL(ctx context.Context, u loopapi.CallURL, userTTL time.Duration) error {
	b, err := json.Marshal(u)
	if err != nil {
		return err
	}
	ttl := time.Unix(u.Expires, 0).Sub(s.now())
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		if ttl <= 0 {
			p.Del(ctx, s.k("callurl.", u.Token))
		} else {
			p.Set(ctx, s.k("callurl.", u.Token), b, ttl.Round(time.Millisecond))
		}
		p.SAdd(ctx, s.k("userUrls.", u.UserMac), "callurl."+u.Token)
		p.PExpire(ctx, s.k("userUrls.", u.UserMac), userTTL)
		return nil
	})
	return wrap("set call url", err)
}

// CallURL implements loopapi.Store.
func (s *Store) CallURL(ctx context.Context, token string) (loopapi.CallURL, error) {
	var u loopapi.CallURL
	b, err := s.rdb.Get(ctx, s.k("callurl.", token)).Bytes()
	if err != nil {
		return u, wrap("call url", err)
	}
	if err := json.Unmarshal(b, &u); err != nil {
		return u, fmt.Errorf("redisstore: call url %s: %w", token, err)
	}
	u.Token = token
	return u, nil
}

// records reads the members of a set of references ("callurl.<t>"),
// SREMs the ones whose key is gone and returns the others' values.
func (s *Store) records(ctx context.Context, set string) (refs, vals []string, err error) {
	members, err := s.rdb.SMembers(ctx, set).Result()
	if err != nil || len(members) == 0 {
		return nil, nil, err
	}
	keys := make([]string, len(members))
	for i, m := range members {
		keys[i] = s.k(m)
	}
	got, err := s.rdb.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, nil, err
	}
	var gone []any
	for i, v := range got {
		str, ok := v.(string)
		if !ok {
			gone = append(gone, members[i])
			continue
		}
		refs = append(refs, members[i])
		vals = append(vals, str)
	}
	if gone != nil {
		if err := s.rdb.SRem(ctx, set, gone...).Err(); err != nil {
			return nil, nil, err
		}
	}
	return refs, vals, nil
}

// CallURLs implements loopapi.Store.
func (s *Store) CallURLs(ctx context.Context, user string) ([]loopapi.CallURL, error) {
	refs, vals, err := s.records(ctx, s.k("userUrls.", user))
	if err != nil {
		return nil, wrap("call urls", err)
	}
	out := make([]loopapi.CallURL, 0, len(vals))
	for i, v := range vals {
		var u loopapi.CallURL
		if json.Unmarshal([]byte(v), &u) != nil {
			continue
		}
		u.Token = strings.TrimPrefix(refs[i], "callurl.")
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b loopapi.CallURL) int {
		if a.Timestamp != b.Timestamp {
			return cmp.Compare(a.Timestamp, b.Timestamp)
		}
		return strings.Compare(a.Token, b.Token)
	})
	return out, nil
}

// DeleteCallURL implements loopapi.Store.
func (s *Store) DeleteCallURL(ctx context.Context, user, token string) error {
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, s.k("callurl.", token))
		p.SRem(ctx, s.k("userUrls.", user), "callurl."+token)
		return nil
	})
	return wrap("delete call url", err)
}

// AddCall implements loopapi.Store.
func (s *Store) AddCall(ctx context.Context, callee string, c loopapi.Call, ttl, userTTL time.Duration) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, s.k("call.", c.CallID), b, ttl)
		st := s.k("callstate.", c.CallID)
		p.Del(ctx, st)
		p.SAdd(ctx, st, loopapi.MarkInit)
		p.PExpire(ctx, st, ttl)
		p.SAdd(ctx, s.k("userCalls.", callee), "call."+c.CallID)
		p.PExpire(ctx, s.k("userCalls.", callee), userTTL)
		return nil
	})
	return wrap("add call", err)
}

// Call implements loopapi.Store.
func (s *Store) Call(ctx context.Context, callID string) (loopapi.Call, error) {
	var c loopapi.Call
	b, err := s.rdb.Get(ctx, s.k("call.", callID)).Bytes()
	if err != nil {
		return c, wrap("call", err)
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("redisstore: call %s: %w", callID, err)
	}
	return c, nil
}

// Calls implements loopapi.Store.
func (s *Store) Calls(ctx context.Context, callee string) ([]loopapi.Call, error) {
	_, vals, err := s.records(ctx, s.k("userCalls.", callee))
	if err != nil {
		return nil, wrap("calls", err)
	}
	out := make([]loopapi.Call, 0, len(vals))
	for _, v := range vals {
		var c loopapi.Call
		if json.Unmarshal([]byte(v), &c) == nil {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b loopapi.Call) int {
		if a.Timestamp != b.Timestamp {
			return cmp.Compare(a.Timestamp, b.Timestamp)
		}
		return strings.Compare(a.CallID, b.CallID)
	})
	return out, nil
}

// addState adds a marker only while the set exists (a terminated call
// stays terminated) and returns SCARD.
var addState = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('SADD', KEYS[1], ARGV[1])
return redis.call('SCARD', KEYS[1])`)

// AddCallState implements loopapi.Store.
func (s *Store) AddCallState(ctx context.Context, callID, marker string) (loopapi.CallState, error) {
	n, err := addState.Run(ctx, s.rdb, []string{s.k("callstate.", callID)}, marker).Int64()
	if err != nil {
		return "", wrap("add call state", err)
	}
	return loopapi.StateOf(n), nil
}

// CallState implements loopapi.Store.
func (s *Store) CallState(ctx context.Context, callID string) (loopapi.CallState, string, error) {
	var card *redis.IntCmd
	var reason *redis.StringCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		card = p.SCard(ctx, s.k("callstate.", callID))
		reason = p.Get(ctx, s.k("callStateReason.", callID))
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return "", "", wrap("call state", err)
	}
	st := loopapi.StateOf(card.Val())
	if st != loopapi.StateTerminated {
		return st, "", nil
	}
	return st, reason.Val(), nil
}

// terminate deletes the state set and keeps the reason as long as the
// call record lives (at least a second).
var terminate = redis.NewScript(`
redis.call('DEL', KEYS[1])
if ARGV[1] ~= '' then
  local ttl = redis.call('PTTL', KEYS[3])
  if ttl < 1000 then ttl = 60000 end
  redis.call('SET', KEYS[2], ARGV[1], 'PX', ttl)
end
return 1`)

// TerminateCall implements loopapi.Store.
func (s *Store) TerminateCall(ctx context.Context, callID, reason string) error {
	keys := []string{s.k("callstate.", callID), s.k("callStateReason.", callID), s.k("call.", callID)}
	return wrap("terminate call", terminate.Run(ctx, s.rdb, keys, reason).Err())
}

// ConnectDevice implements loopapi.Store.
func (s *Store) ConnectDevice(ctx context.Context, callID, role string, delta int64) (int64, error) {
	k := s.k("call.devices.", callID, ".", role)
	var n *redis.IntCmd
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		n = p.IncrBy(ctx, k, delta)
		p.Expire(ctx, k, time.Minute)
		return nil
	})
	if err != nil {
		return 0, wrap("connect device", err)
	}
	return n.Val(), nil
}

// SetRoom implements loopapi.Store.
func (s *Store) SetRoom(ctx context.Context, r loopapi.Room, userTTL time.Duration) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	ttl := time.Unix(r.ExpiresAt, 0).Sub(s.now())
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		if ttl <= 0 {
			p.Del(ctx, s.k("room.", r.Token))
			return nil
		}
		p.Set(ctx, s.k("room.", r.Token), b, ttl.Round(time.Millisecond))
		p.SAdd(ctx, s.k("userRooms.", r.OwnerMac), "room."+r.Token)
		p.PExpire(ctx, s.k("userRooms.", r.OwnerMac), max(userTTL, ttl))
		return nil
	})
	return wrap("set room", err)
}

// Room implements loopapi.Store.
func (s *Store) Room(ctx context.Context, token string) (loopapi.Room, error) {
	var r loopapi.Room
	b, err := s.rdb.Get(ctx, s.k("room.", token)).Bytes()
	if err != nil {
		return r, wrap("room", err)
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("redisstore: room %s: %w", token, err)
	}
	return r, nil
}

// Rooms implements loopapi.Store.
func (s *Store) Rooms(ctx context.Context, user string) ([]loopapi.Room, error) {
	_, vals, err := s.records(ctx, s.k("userRooms.", user))
	if err != nil {
		return nil, wrap("rooms", err)
	}
	out := make([]loopapi.Room, 0, len(vals))
	for _, v := range vals {
		var r loopapi.Room
		if json.Unmarshal([]byte(v), &r) == nil {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b loopapi.Room) int {
		if a.CreationTime != b.CreationTime {
			return cmp.Compare(a.CreationTime, b.CreationTime)
		}
		return strings.Compare(a.Token, b.Token)
	})
	return out, nil
}

// DeleteRoom implements loopapi.Store.
func (s *Store) DeleteRoom(ctx context.Context, user, token string, at time.Time, deletedTTL time.Duration) error {
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, s.k("room.", token), s.k("roomparticipants.", token))
		p.SRem(ctx, s.k("userRooms.", user), "room."+token)
		p.Set(ctx, s.k("room.deleted.", token), at.Unix(), deletedTTL)
		p.SAdd(ctx, s.k("userRooms.deleted.", user), token)
		p.PExpire(ctx, s.k("userRooms.deleted.", user), deletedTTL)
		return nil
	})
	return wrap("delete room", err)
}

// DeletedRooms implements loopapi.Store.
func (s *Store) DeletedRooms(ctx context.Context, user string, since int64) (map[string]int64, error) {
	toks, err := s.rdb.SMembers(ctx, s.k("userRooms.deleted.", user)).Result()
	if err != nil || len(toks) == 0 {
		return map[string]int64{}, wrap("deleted rooms", err)
	}
	keys := make([]string, len(toks))
	for i, t := range toks {
		keys[i] = s.k("room.deleted.", t)
	}
	vals, err := s.rdb.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, wrap("deleted rooms", err)
	}
	out := map[string]int64{}
	for i, v := range vals {
		str, ok := v.(string)
		if !ok {
			continue
		}
		var at int64
		if _, err := fmt.Sscan(str, &at); err == nil && at >= since {
			out[toks[i]] = at
		}
	}
	return out, nil
}

// join counts the live participants other than this one and adds it
// unless the room is full (-1); the hash lives as long as its newest
// participant.
var join = redis.NewScript(`
local now = tonumber(ARGV[3])
local all = redis.call('HGETALL', KEYS[1])
local others = 0
for i = 1, #all, 2 do
  local ok, p = pcall(cjson.decode, all[i+1])
  if ok and type(p) == 'table' and tonumber(p.expiresAt) and tonumber(p.expiresAt) > now then
    if all[i] ~= ARGV[1] then others = others + 1 end
  else
    redis.call('HDEL', KEYS[1], all[i])
  end
end
if others >= tonumber(ARGV[4]) then return -1 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local ttl = tonumber(ARGV[5]) - now
if ttl > redis.call('PTTL', KEYS[1]) then redis.call('PEXPIRE', KEYS[1], ttl) end
return others + 1`)

// JoinRoom implements loopapi.Store.
func (s *Store) JoinRoom(ctx context.Context, token string, p loopapi.Participant, maxSize int) error {
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	n, err := join.Run(ctx, s.rdb, []string{s.k("roomparticipants.", token)},
		p.ID, b, s.now().UnixMilli(), maxSize, p.ExpiresAt).Int64()
	if err != nil {
		return wrap("join room", err)
	}
	if n < 0 {
		return loopapi.ErrRoomFull
	}
	return nil
}

// Participants implements loopapi.Store.
func (s *Store) Participants(ctx context.Context, token string) ([]loopapi.Participant, error) {
	h, err := s.rdb.HGetAll(ctx, s.k("roomparticipants.", token)).Result()
	if err != nil {
		return nil, wrap("participants", err)
	}
	out := make([]loopapi.Participant, 0, len(h))
	now := s.now().UnixMilli()
	for _, v := range h {
		var p loopapi.Participant
		if json.Unmarshal([]byte(v), &p) == nil && p.ExpiresAt > now {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b loopapi.Participant) int {
		if a.JoinedAt != b.JoinedAt {
			return cmp.Compare(a.JoinedAt, b.JoinedAt)
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// LeaveRoom implements loopapi.Store.
func (s *Store) LeaveRoom(ctx context.Context, token, id string) error {
	return wrap("leave room", s.rdb.HDel(ctx, s.k("roomparticipants.", token), id).Err())
}

// SetParticipantToken implements loopapi.Store.
func (s *Store) SetParticipantToken(ctx context.Context, token, tokenHmac, id string, ttl time.Duration) error {
	return wrap("set participant token",
		s.rdb.Set(ctx, s.k("roomparticipant_access_token.", token, ".", tokenHmac), id, ttl).Err())
}

// ParticipantToken implements loopapi.Store.
func (s *Store) ParticipantToken(ctx context.Context, token, tokenHmac string) (string, error) {
	v, err := s.rdb.Get(ctx, s.k("roomparticipant_access_token.", token, ".", tokenHmac)).Result()
	return v, wrap("participant token", err)
}
