package afbproto

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"sync"
	"time"
)

// maxUUIDLen is the longest session id upstream can store (36 chars: a
// uuid in text form).
const maxUUIDLen = 36

var (
	errUUIDTooLong = errors.New("afbproto: session uuid longer than 36 bytes")
	errUUIDChars   = errors.New("afbproto: session uuid has characters a cookie cannot carry")
	errSessionMax  = errors.New("afbproto: too many sessions")
)

// session is one client session (spec §3). Its mutex guards everything
// but uuid.
type session struct {
	uuid string

	mu      sync.Mutex
	token   string
	expires time.Time
	loa     int
	data    map[string]any // per-api context, keyed by api name
}

// checkToken reports whether tok passes the session token check: the
// session is not expired and its token is empty or equal to tok.
func (s *session) checkToken(tok string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.expires.Before(now) {
		return false
	}
	return s.token == "" || subtle.ConstantTimeCompare([]byte(s.token), []byte(tok)) == 1
}

// expired reports whether the session's lifetime is over.
func (s *session) expired(now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.expires.Before(now)
}

// sessions is the session table. Expired sessions are removed on lookup.
type sessions struct {
	mu        sync.Mutex
	m         map[string]*session
	max       int
	timeout   time.Duration
	initial   string
	lastSweep time.Time
}

func newSessions(max int, timeout time.Duration, initial string) *sessions {
	return &sessions{m: make(map[string]*session), max: max, timeout: timeout, initial: initial}
}

// get returns the live session with that uuid, or creates one: with a
// fresh uuid when uuid is empty, with the client's uuid otherwise (spec
// §3.2). created reports a creation.
func (ss *sessions) get(uuid string, now time.Time) (s *session, created bool, err error) {
	if len(uuid) > maxUUIDLen {
		return nil, false, errUUIDTooLong
	}
	if !cookieSafe(uuid) {
		return nil, false, errUUIDChars
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if uuid != "" {
		if s := ss.m[uuid]; s != nil {
			s.mu.Lock()
			expired := s.expires.Before(now)
			s.mu.Unlock()
			if !expired {
				return s, false, nil
			}
			delete(ss.m, uuid)
		}
	}
	if ss.max > 0 && len(ss.m) >= ss.max {
		ss.sweep(now, true)
		if len(ss.m) >= ss.max {
			return nil, false, errSessionMax
		}
	} else {
		ss.sweep(now, false)
	}
	for uuid == "" || ss.m[uuid] != nil {
		uuid = newUUID()
	}
	s = &session{uuid: uuid, token: ss.initial, expires: now.Add(ss.timeout)}
	ss.m[uuid] = s
	return s, true, nil
}

// destroy removes s from the table (V1-2016 session close): its uuid then
// names a fresh session with the initial token. Holders of s, such as a
// WebSocket connection, keep the orphan.
func (ss *sessions) destroy(s *session) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.m[s.uuid] == s {
		delete(ss.m, s.uuid)
	}
}

// sweep drops expired sessions; unless forced, at most once a second so
// that a large table does not make every lookup linear.
func (ss *sessions) sweep(now time.Time, force bool) {
	if !force && now.Sub(ss.lastSweep) < time.Second {
		return
	}
	ss.lastSweep = now
	for id, s := range ss.m {
		s.mu.Lock()
		expired := s.expires.Before(now)
		s.mu.Unlock()
		if expired {
			delete(ss.m, id)
		}
	}
}

// cookieSafe reports whether s can be a cookie value unquoted (RFC 6265
// cookie-octet).
func cookieSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= 0x20 || c >= 0x7f || c == '"' || c == ',' || c == ';' || c == '\\' {
			return false
		}
	}
	return true
}

// newUUID returns a random (version 4) uuid in lowercase text form.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	j := 0
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out[j] = '-'
			j++
		}
		out[j], out[j+1] = hexDigits[c>>4], hexDigits[c&0xf]
		j += 2
	}
	return string(out[:])
}
