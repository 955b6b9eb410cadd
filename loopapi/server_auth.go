package loopapi

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/appwire/appwire/loopapi/hawk"
)

// HeaderSessionToken carries a new session's token to the client.
const HeaderSessionToken = "Hawk-Session-Token"

// hmacHex is upstream's hmac.js: HMAC-SHA256 under key, as hex.
func hmacHex(key []byte, payload string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(payload))
	return hex.EncodeToString(m.Sum(nil))
}

// sessionHolder carries the session that lookupCredentials read back to
// hawkAuth, so one store round trip gives both the key and the user.
type sessionHolder struct{ ses Session }

type sessionHolderKey struct{}

// touchEvery is how stale a session's TTL may get before an
// authenticated request refreshes it (upstream refreshes on every
// request; a minute out of 30 days saves a round trip per request). A
// short SessionTTL is refreshed once a tenth of it has passed.
const touchEvery = time.Minute

// lookupCredentials finds the key of a Hawk id: the store keeps only
// HMAC(hawkIdSecret, id), never the id.
func (s *Server) lookupCredentials(ctx context.Context, id string) (hawk.Credentials, error) {
	ses, err := s.store.Session(ctx, hmacHex(s.opts.HawkIDSecret, id))
	if errors.Is(err, ErrNotFound) {
		return hawk.Credentials{}, hawk.ErrUnknownCredentials
	}
	if err != nil {
		return hawk.Credentials{}, err
	}
	if h, ok := ctx.Value(sessionHolderKey{}).(*sessionHolder); ok {
		h.ses = ses
	}
	return hawk.Credentials{ID: id, Key: []byte(ses.Key), Algorithm: "sha256"}, nil
}

// authorize applies a route's authentication level to req.
func (s *Server) authorize(req *request, level authLevel) *Error {
	authz := req.r.Header.Get("Authorization")
	scheme, _, _ := strings.Cut(strings.TrimSpace(authz), " ")
	switch level {
	case authNone:
		return nil
	case authCreate:
		switch {
		case authz == "":
			return s.newSession(req, "")
		case strings.EqualFold(scheme, "BrowserID"):
			return s.browserID(req, authz)
		case strings.EqualFold(scheme, "Hawk"):
			return s.hawkAuth(req)
		}
		e := NewError(http.StatusUnauthorized, ErrnoInvalidAuthToken, "Unsupported")
		e.Header = http.Header{"Www-Authenticate": {`BrowserID,Hawk error="Unsupported"`}}
		return e
	case authOptional:
		switch {
		case authz == "":
			return nil
		case strings.EqualFold(scheme, "BrowserID"):
			return s.browserID(req, authz)
		}
		return s.hawkAuth(req)
	case authHawkOrBasic:
		switch {
		case authz == "":
			return nil
		case strings.EqualFold(scheme, "Basic"):
			return nil // checked against the room by the handler
		}
		return s.hawkAuth(req)
	case authRegistered:
		if e := s.hawkAuth(req); e != nil {
			return e
		}
		if !req.registered {
			return errNotRegistered()
		}
		return nil
	}
	return s.hawkAuth(req)
}

// hawkAuth verifies a Hawk request and sets the session's user, then
// refreshes the session's TTLs (upstream setUser and touchHawkSession).
func (s *Server) hawkAuth(req *request) *Error {
	holder := &sessionHolder{}
	a, err := s.hawk.Authenticate(context.WithValue(req.ctx, sessionHolderKey{}, holder), req.r)
	if err != nil {
		var he *hawk.Error
		if !errors.As(err, &he) {
			s.logf("loopapi: hawk: %v", err)
			return errBackend()
		}
		payload, _ := he.MarshalJSON()
		code := he.Status
		if code != http.StatusBadRequest && code != http.StatusUnauthorized {
			code = http.StatusUnauthorized
		}
		e := &Error{Code: code, Errno: ErrnoInvalidAuthToken, Auth: payload}
		if ch := he.WWWAuthenticate(); ch != "" {
			e.Header = http.Header{"Www-Authenticate": {ch}}
		}
		return e
	}
	req.auth = a
	req.hawkID = a.Credentials.ID
	req.id = hmacHex(s.opts.HawkIDSecret, req.hawkID)
	req.user = req.id
	if ses := holder.ses; ses.User != "" {
		req.user, req.registered = ses.User, true
		req.identity, _ = openIdentity(ses.Identity, req.hawkID)
	}
	if holder.ses.TTL > s.opts.SessionTTL-min(touchEvery, s.opts.SessionTTL/10) {
		return nil
	}
	if err := s.store.TouchSession(req.ctx, req.user, req.id, s.opts.SessionTTL); err != nil {
		s.logf("loopapi: touch session: %v", err)
		return errBackend()
	}
	return nil
}

// newSession creates a Hawk session, linked to identity when not "", and
// hands its token out in Hawk-Session-Token.
func (s *Server) newSession(req *request, identity string) *Error {
	token, creds, err := hawk.NewSessionToken()
	if err != nil {
		return errBackend()
	}
	id := hmacHex(s.opts.HawkIDSecret, creds.ID)
	if err := s.store.CreateSession(req.ctx, id, string(creds.Key), s.opts.SessionTTL); err != nil {
		s.logf("loopapi: create session: %v", err)
		return errBackend()
	}
	req.id, req.user, req.hawkID = id, id, creds.ID
	if identity != "" {
		user := s.userMac(identity)
		if err := s.store.SetSessionUser(req.ctx, id, user, sealIdentity(identity, creds.ID), s.opts.SessionTTL); err != nil {
			s.logf("loopapi: set session user: %v", err)
			return errBackend()
		}
		req.user, req.registered, req.identity = user, true, identity
	}
	h := req.w.Header()
	h.Set(HeaderSessionToken, token)
	h.Set("Access-Control-Expose-Headers", HeaderSessionToken)
	return nil
}

// userMac is the store's name of a user identity.
func (s *Server) userMac(identity string) string {
	return hmacHex(s.opts.UserMacSecret, strings.ToLower(identity))
}

// browserID verifies an assertion and makes a session for its identity.
func (s *Server) browserID(req *request, authz string) *Error {
	_, assertion, _ := strings.Cut(strings.TrimSpace(authz), " ")
	audience := s.opts.Audience
	if audience == "" {
		audience = s.baseURL(req.r)
	}
	identity, err := s.opts.Verifier.Verify(req.ctx, strings.TrimSpace(assertion), audience)
	if err != nil {
		if errors.Is(err, ErrBadAssertion) {
			e := NewError(http.StatusUnauthorized, ErrnoInvalidAuthToken, "Unauthorized")
			e.Header = http.Header{"Www-Authenticate": {`BrowserID error="Invalid assertion"`}}
			return e
		}
		s.logf("loopapi: verifier: %v", err)
		return errBackend()
	}
	return s.newSession(req, identity)
}

// sealIdentity encrypts a registered user's identity under the session's
// Hawk id, which the server sees on every request and never stores (as
// upstream's secretbox under tokenId): the store alone cannot reveal who
// a session belongs to. AES-256-GCM with key SHA-256(id).
func sealIdentity(identity, hawkID string) string {
	gcm := identityAEAD(hawkID)
	nonce := make([]byte, gcm.NonceSize())
	rand.Read(nonce)
	return base64.StdEncoding.EncodeToString(gcm.Seal(nonce, nonce, []byte(identity), nil))
}

func openIdentity(sealed, hawkID string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(sealed)
	gcm := identityAEAD(hawkID)
	if err != nil || len(b) < gcm.NonceSize() {
		return "", errors.New("loopapi: bad sealed identity")
	}
	p, err := gcm.Open(nil, b[:gcm.NonceSize()], b[gcm.NonceSize():], nil)
	return string(p), err
}

func identityAEAD(hawkID string) cipher.AEAD {
	k := sha256.Sum256([]byte(hawkID))
	blk, _ := aes.NewCipher(k[:])
	gcm, _ := cipher.NewGCM(blk)
	return gcm
}
