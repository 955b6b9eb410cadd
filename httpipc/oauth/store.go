package oauth

import (
	"crypto/sha256"
	"sync"
	"time"
)

// key is the SHA-256 of a code or access token. The server stores only
// keys, so a memory dump yields no usable credential, and map lookups
// never compare the secret itself.
type key [sha256.Size]byte

func keyOf(secret string) key { return sha256.Sum256([]byte(secret)) }

// codeEntry is an issued authorization code. After redemption it stays
// as a tombstone until it expires, so that a replay is recognised and
// the token issued for it revoked (RFC 6749 §4.1.2).
type codeEntry struct {
	clientID    string
	redirectURI string
	challenge   string
	scopes      []string
	user        string
	expires     time.Time
	redeemed    bool
	token       key // set once redeemed with success
	hasToken    bool
}

type tokenEntry struct {
	user     string
	clientID string
	scopes   []string
	expires  time.Time
}

// store holds codes and tokens in memory with hard caps. Expired entries
// are swept when a cap is reached and dropped when looked up.
type store struct {
	mu        sync.Mutex
	now       func() time.Time
	maxCodes  int
	maxTokens int
	codes     map[key]*codeEntry
	tokens    map[key]*tokenEntry
}

func newStore(now func() time.Time, maxCodes, maxTokens int) *store {
	return &store{
		now:       now,
		maxCodes:  maxCodes,
		maxTokens: maxTokens,
		codes:     make(map[key]*codeEntry),
		tokens:    make(map[key]*tokenEntry),
	}
}

// sweepLocked drops every expired code and token.
func (s *store) sweepLocked(now time.Time) {
	for k, c := range s.codes {
		if !now.Before(c.expires) {
			delete(s.codes, k)
		}
	}
	for k, t := range s.tokens {
		if !now.Before(t.expires) {
			delete(s.tokens, k)
		}
	}
}

// addCode stores c under a new random code and returns the code, or ""
// when MaxCodes unexpired codes are outstanding.
func (s *store) addCode(c *codeEntry, ttl time.Duration) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if len(s.codes) >= s.maxCodes {
		s.sweepLocked(now)
		if len(s.codes) >= s.maxCodes {
			return ""
		}
	}
	code := randomString(32)
	c.expires = now.Add(ttl)
	s.codes[keyOf(code)] = c
	return code
}

// redeemResult is what redeem decided.
type redeemResult int

const (
	redeemOK redeemResult = iota
	redeemUnknown
	redeemReplayed
	redeemMismatch
	redeemFull
)

// redeem consumes code: whatever the outcome, a code can be presented
// once. check decides whether the presentation matches the code's
// binding (client, redirect URI, verifier). On success it issues a
// token valid for ttl and returns it.
func (s *store) redeem(code string, check func(*codeEntry) bool, ttl time.Duration) (string, *tokenEntry, redeemResult) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	k := keyOf(code)
	c, ok := s.codes[k]
	if ok && !now.Before(c.expires) {
		delete(s.codes, k)
		ok = false
	}
	switch {
	case !ok:
		return "", nil, redeemUnknown
	case c.redeemed:
		if c.hasToken {
			delete(s.tokens, c.token)
			c.hasToken = false
		}
		return "", nil, redeemReplayed
	}
	if len(s.tokens) >= s.maxTokens {
		s.sweepLocked(now)
		if len(s.tokens) >= s.maxTokens {
			return "", nil, redeemFull // the code stays usable
		}
	}
	c.redeemed = true
	if !check(c) {
		return "", nil, redeemMismatch
	}
	tok := randomString(32)
	t := &tokenEntry{user: c.user, clientID: c.clientID, scopes: c.scopes, expires: now.Add(ttl)}
	c.token, c.hasToken = keyOf(tok), true
	s.tokens[c.token] = t
	return tok, t, redeemOK
}

// lookupToken returns the live token entry for tok, or nil.
func (s *store) lookupToken(tok string) *tokenEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := keyOf(tok)
	t, ok := s.tokens[k]
	if !ok {
		return nil
	}
	if !s.now().Before(t.expires) {
		delete(s.tokens, k)
		return nil
	}
	return t
}
