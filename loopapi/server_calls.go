package loopapi

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"math/big"
	"net/http"
	"strings"
	"sync"
)

// Version is the upstream API version this server answers like.
const Version = "0.17.8"

// newToken is tokenlib.generateToken(8): 8 random bytes, base64url
// without padding (11 characters).
func newToken() string {
	var b [8]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func (s *Server) handleRoot(req *request) {
	lang := "en-US"
	if al := req.r.Header.Get("Accept-Language"); al != "" {
		first, _, _ := strings.Cut(al, ",")
		first, _, _ = strings.Cut(first, ";")
		if first = strings.TrimSpace(first); first != "" {
			lang = first
		}
	}
	info := RootInfo{
		Name:        "appwire-loopapi",
		Description: "The Loop (Firefox Hello) REST API: reference server of github.com/appwire/appwire/loopapi",
		Homepage:    "https://github.com/appwire/appwire",
		Endpoint:    s.baseURL(req.r),
		FakeTokBox:  isFake(s.opts.Provider),
		I18n:        I18n{DefaultLang: "en-US", Lang: lang},
	}
	if !s.opts.HideVersion {
		info.Version = Version
	}
	s.reply(req, http.StatusOK, info)
}

func isFake(p Provider) bool {
	switch p.(type) {
	case FakeProvider, *FakeProvider:
		return true
	}
	return false
}

func (s *Server) handleHeartbeat(req *request) {
	ctx, cancel := context.WithTimeout(req.ctx, s.opts.StoreTimeout)
	defer cancel()
	var hb Heartbeat
	var wg sync.WaitGroup
	wg.Add(4)
	go func() { defer wg.Done(); hb.Storage = s.store.Ping(ctx) == nil }()
	go func() {
		defer wg.Done()
		if err := s.opts.Provider.Ping(ctx); err != nil {
			hb.Message = "TokBox " + err.Error()
		} else {
			hb.Provider = true
		}
	}()
	go func() { defer wg.Done(); hb.FxaVerifier = s.opts.Verifier.Ping(ctx) == nil }()
	go func() {
		defer wg.Done()
		hb.Push = true
		for _, u := range s.opts.PushServerURIs {
			if s.opts.PushCheck(ctx, u) != nil {
				hb.Push = false
			}
		}
	}()
	wg.Wait()
	status := http.StatusOK
	if !hb.Storage || !hb.Provider || !hb.Push || !hb.FxaVerifier {
		status = http.StatusServiceUnavailable
	}
	s.reply(req, status, hb)
}

func (s *Server) handleLBHeartbeat(req *request) { s.reply(req, http.StatusOK, struct{}{}) }

func (s *Server) handlePushServerConfig(req *request) {
	var uri string
	if n := len(s.opts.PushServerURIs); n > 0 {
		i, _ := rand.Int(rand.Reader, big.NewInt(int64(n)))
		uri = s.opts.PushServerURIs[i.Int64()]
	}
	s.reply(req, http.StatusOK, PushServerConfig{PushServerURI: uri})
}

func (s *Server) handleRegister(req *request) {
	if len(req.raw) > 0 && !acceptsJSON(req.r) {
		s.fail(req, errNotAcceptable())
		return
	}
	urls, e := ParseRegistration(req.body, req.r.URL.Query().Get("simplePushURL"))
	if e != nil {
		s.fail(req, e)
		return
	}
	if len(urls) > 0 {
		if err := s.store.SetPushURLs(req.ctx, req.user, req.id, urls, s.opts.SessionTTL); err != nil {
			s.backend(req, "set push urls", err)
			return
		}
	}
	s.reply(req, http.StatusOK, nil)
}

func (s *Server) handleUnregister(req *request) {
	s.noContent(req, "delete push urls", s.store.DeletePushURLs(req.ctx, req.user, req.id))
}

func (s *Server) callURL(token string) string {
	return strings.ReplaceAll(s.opts.CallURLTemplate, "{token}", token)
}

func (s *Server) handleCreateCallURL(req *request) {
	if !acceptsJSON(req.r) {
		s.fail(req, errNotAcceptable())
		return
	}
	in, e := ParseCallURLRequest(req.body, true, s.opts.CallURLTimeout, s.opts.CallURLMaxTimeout)
	if e != nil {
		s.fail(req, e)
		return
	}
	now := s.now().Unix()
	u := CallURL{Token: newToken(), UserMac: req.user, CallerID: in.CallerID, Timestamp: now,
		Issuer: in.Issuer, Subject: in.Subject, Expires: now + in.ExpiresIn*3600}
	if u.Issuer == "" {
		u.Issuer = req.identity // the registered user's identity; "" for anonymous sessions
	}
	if err := s.store.SetCallURL(req.ctx, u, s.opts.SessionTTL); err != nil {
		s.backend(req, "set call url", err)
		return
	}
	link := s.callURL(u.Token)
	s.reply(req, http.StatusOK, CallURLCreated{CallURL: link, CallToken: u.Token, CallURLV0: link, ExpiresAt: u.Expires})
}

func (s *Server) handleListCallURLs(req *request) {
	list, err := s.store.CallURLs(req.ctx, req.user)
	if err != nil {
		s.backend(req, "call urls", err)
		return
	}
	out := make([]CallURLInfo, 0, len(list))
	for _, u := range list {
		out = append(out, CallURLInfo{CallerID: u.CallerID, Timestamp: u.Timestamp, Issuer: u.Issuer, Subject: u.Subject, Expires: u.Expires})
	}
	s.reply(req, http.StatusOK, out)
}

// ownCallURL loads the :token call URL; a missing one is 404 errno 105.
func (s *Server) loadCallURL(req *request) (CallURL, bool) {
	u, err := s.store.CallURL(req.ctx, req.token)
	if errors.Is(err, ErrNotFound) {
		s.fail(req, errTokenNotFound())
		return u, false
	}
	if err != nil {
		s.backend(req, "call url", err)
		return u, false
	}
	return u, true
}

func (s *Server) handleUpdateCallURL(req *request) {
	u, ok := s.loadCallURL(req)
	if !ok {
		return
	}
	if u.UserMac != req.user {
		s.fail(req, errTokenNotFound())
		return
	}
	if !acceptsJSON(req.r) {
		s.fail(req, errNotAcceptable())
		return
	}
	in, e := ParseCallURLRequest(req.body, false, s.opts.CallURLTimeout, s.opts.CallURLMaxTimeout)
	if e != nil {
		s.fail(req, e)
		return
	}
	// As upstream: the whole record is rebuilt, so a field left out is
	// cleared.
	now := s.now().Unix()
	u = CallURL{Token: u.Token, UserMac: u.UserMac, CallerID: in.CallerID, Timestamp: now,
		Issuer: in.Issuer, Subject: in.Subject, Expires: now + in.ExpiresIn*3600}
	if err := s.store.SetCallURL(req.ctx, u, s.opts.SessionTTL); err != nil {
		s.backend(req, "set call url", err)
		return
	}
	s.reply(req, http.StatusOK, Expiry{ExpiresAt: u.Expires})
}

func (s *Server) handleDeleteCallURL(req *request) {
	u, ok := s.loadCallURL(req)
	if !ok {
		return
	}
	if u.UserMac != req.user {
		s.fail(req, errForbidden())
		return
	}
	s.noContent(req, "delete call url", s.store.DeleteCallURL(req.ctx, req.user, u.Token))
}

func (s *Server) handleCallURLInfo(req *request) {
	u, ok := s.loadCallURL(req)
	if !ok {
		return
	}
	s.reply(req, http.StatusOK, CallTokenInfo{CalleeFriendlyName: u.Issuer, URLCreationDate: u.Timestamp})
}

// startCall creates the provider session and stores one call for each
// callee, then wakes every callee through SimplePush.
func (s *Server) startCall(req *request, callees []string, base Call, channel string) {
	ps, err := s.opts.Provider.NewSession(req.ctx, channel)
	if err != nil {
		s.backend(req, "provider session", err)
		return
	}
	c := base
	c.CallID = randHex(16)
	c.CallState = string(StateInit)
	c.Timestamp = s.now().Unix()
	c.APIKey, c.SessionID, c.CalleeToken = ps.APIKey, ps.SessionID, ps.CalleeToken
	c.WSCallerToken, c.WSCalleeToken = randHex(16), randHex(16)
	for _, callee := range callees {
		if err := s.store.AddCall(req.ctx, callee, c, s.opts.CallDuration, s.opts.SessionTTL); err != nil {
			s.backend(req, "add call", err)
			return
		}
	}
	for _, callee := range callees {
		s.wake(callee, TopicCalls, uint64(c.Timestamp))
	}
	s.reply(req, http.StatusOK, CallCreated{CallID: c.CallID, WebsocketToken: c.WSCallerToken,
		SessionID: ps.SessionID, SessionToken: ps.CallerToken, APIKey: ps.APIKey, ProgressURL: s.progressURL(req.r)})
}

func (s *Server) handleCallByToken(req *request) {
	u, ok := s.loadCallURL(req)
	if !ok {
		return
	}
	if !acceptsJSON(req.r) {
		s.fail(req, errNotAcceptable())
		return
	}
	callType, e := ValidateCallType(req.body)
	if e != nil {
		s.fail(req, e)
		return
	}
	subject, e := ValidateSubject(req.body, s.opts.MaxSubjectSize)
	if e != nil {
		s.fail(req, e)
		return
	}
	urls, err := s.store.PushURLs(req.ctx, u.UserMac, TopicCalls)
	if err != nil {
		s.backend(req, "push urls", err)
		return
	}
	if len(urls) == 0 {
		s.fail(req, NewError(http.StatusGone, ErrnoExpired, "Gone"))
		return
	}
	callerID := u.CallerID
	if req.identity != "" {
		callerID = req.identity
	}
	s.startCall(req, []string{u.UserMac}, Call{CallType: callType, Subject: subject, CallerID: callerID,
		CalleeFriendlyName: u.Issuer, CallToken: u.Token, URLCreationDate: u.Timestamp}, req.body.String("channel"))
}

func (s *Server) handleDirectCall(req *request) {
	if !acceptsJSON(req.r) {
		s.fail(req, errNotAcceptable())
		return
	}
	ids, e := CalleeIDs(req.body)
	if e != nil {
		s.fail(req, e)
		return
	}
	callType, e := ValidateCallType(req.body)
	if e != nil {
		s.fail(req, e)
		return
	}
	subject, e := ValidateSubject(req.body, s.opts.MaxSubjectSize)
	if e != nil {
		s.fail(req, e)
		return
	}
	var callees []string
	for _, id := range ids {
		callee := s.userMac(id)
		urls, err := s.store.PushURLs(req.ctx, callee, TopicCalls)
		if err != nil {
			s.backend(req, "push urls", err)
			return
		}
		if len(urls) > 0 && !contains(callees, callee) {
			callees = append(callees, callee)
		}
	}
	if len(callees) == 0 {
		s.fail(req, NewError(http.StatusBadRequest, ErrnoUserUnavailable, "Could not find any existing user to call"))
		return
	}
	s.startCall(req, callees, Call{CallType: callType, Subject: subject, CallerID: req.identity}, req.body.String("channel"))
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func (s *Server) handleListCalls(req *request) {
	q := req.r.URL.Query()
	if !q.Has("version") {
		s.fail(req, errMissing("version"))
		return
	}
	version, ok := parseInt(q.Get("version"))
	if !ok {
		s.fail(req, errInvalid("version should be a valid number"))
		return
	}
	calls, err := s.store.Calls(req.ctx, req.user)
	if err != nil {
		s.backend(req, "calls", err)
		return
	}
	out := CallList{Calls: []CallItem{}}
	progress := s.progressURL(req.r)
	for _, c := range calls {
		if c.Timestamp < version {
			continue
		}
		st, _, err := s.store.CallState(req.ctx, c.CallID)
		if err != nil {
			s.backend(req, "call state", err)
			return
		}
		if st == StateTerminated {
			continue
		}
		it := CallItem{CallID: c.CallID, CallType: c.CallType, CallerID: c.CallerID, WebsocketToken: c.WSCalleeToken,
			APIKey: c.APIKey, SessionID: c.SessionID, SessionToken: c.CalleeToken, ProgressURL: progress, Subject: c.Subject}
		if c.CallToken != "" {
			it.CallToken = c.CallToken
			it.CallURL = s.callURL(c.CallToken)
			it.CallURLV0 = it.CallURL
			it.URLCreationDate = c.URLCreationDate
		}
		out.Calls = append(out.Calls, it)
	}
	s.reply(req, http.StatusOK, out)
}

func (s *Server) handleDeleteAccount(req *request) {
	s.noContent(req, "delete account", s.store.DeleteAccount(req.ctx, req.user, req.id))
}

func (s *Server) handleDeleteSession(req *request) {
	s.noContent(req, "delete session", s.store.DeleteSession(req.ctx, req.user, req.id))
}

// wake PUTs version to each of user's push URLs of topic, in the
// background: the caller's answer never waits for a push server. Each
// PUT is bounded by PushTimeout; at most MaxPushInFlight run at once.
func (s *Server) wake(user, topic string, version uint64) {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return
	}
	s.bg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.bg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), s.opts.StoreTimeout+s.opts.PushTimeout)
		defer cancel()
		urls, err := s.store.PushURLs(ctx, user, topic)
		if err != nil {
			s.logf("loopapi: wake-up: push urls: %v", err)
			return
		}
		var wg sync.WaitGroup
		for _, u := range urls {
			select {
			case s.pushSem <- struct{}{}:
			case <-ctx.Done():
				s.logf("loopapi: wake-up of %s dropped: %v", u, ctx.Err())
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-s.pushSem }()
				pctx, pcancel := context.WithTimeout(ctx, s.opts.PushTimeout)
				defer pcancel()
				if err := notify(pctx, s.opts.PushClient, u, version); err != nil {
					s.logf("loopapi: wake-up PUT %s: %v", u, err)
				}
			}()
		}
		wg.Wait()
	}()
}
