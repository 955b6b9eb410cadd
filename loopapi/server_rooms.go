package loopapi

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"time"
)

func (s *Server) roomLimits() RoomLimits {
	return RoomLimits{MaxSize: s.opts.RoomMaxSize, MaxTTLHours: s.opts.RoomMaxTTL, DefTTLHours: s.opts.RoomTTL,
		MaxNameSize: s.opts.MaxRoomNameSize, MaxOwnerSize: s.opts.MaxRoomNameSize, MaxContext: s.opts.MaxContextSize}
}

func (s *Server) roomURL(token string) string {
	return strings.ReplaceAll(s.opts.RoomURLTemplate, "{token}", token)
}

func errRoomForbidden() *Error { return NewError(http.StatusForbidden, ErrnoUndefined, "Forbidden") }

// notifyRoom wakes the room owner's devices (their "rooms" push URLs).
func (s *Server) notifyRoom(r Room) {
	s.wake(r.OwnerMac, TopicRooms, uint64(s.now().Unix()))
}

func (s *Server) handleCreateRoom(req *request) {
	if !acceptsJSON(req.r) {
		s.fail(req, errNotAcceptable())
		return
	}
	in, e := ParseRoomRequest(req.body, true, s.roomLimits())
	if e != nil {
		s.fail(req, e)
		return
	}
	ps, err := s.opts.Provider.NewSession(req.ctx, "")
	if err != nil {
		s.backend(req, "provider session", err)
		return
	}
	now := s.now().Unix()
	r := Room{Token: newToken(), Name: in.RoomName, Context: in.Context, Owner: in.RoomOwner, OwnerMac: req.user,
		MaxSize: in.MaxSize, ExpiresAt: now + in.ExpiresIn*3600, CreationTime: now, UpdateTime: now,
		SessionID: ps.SessionID, APIKey: ps.APIKey}
	if err := s.store.SetRoom(req.ctx, r, s.opts.SessionTTL); err != nil {
		s.backend(req, "set room", err)
		return
	}
	s.notifyRoom(r)
	s.reply(req, http.StatusCreated, RoomCreated{RoomToken: r.Token, RoomURL: s.roomURL(r.Token), ExpiresAt: r.ExpiresAt})
}

// roomInfo is a room as GET /rooms/{token} shows it.
func (s *Server) roomInfo(r Room, parts []Participant) RoomInfo {
	info := RoomInfo{RoomToken: r.Token, RoomName: r.Name, Context: r.Context, RoomURL: s.roomURL(r.Token),
		RoomOwner: r.Owner, MaxSize: r.MaxSize, ClientMaxSize: r.MaxSize, CreationTime: r.CreationTime,
		Ctime: r.UpdateTime, ExpiresAt: r.ExpiresAt, Participants: []ParticipantInfo{}}
	for _, p := range parts {
		if p.ClientMaxSize > 0 && p.ClientMaxSize < info.ClientMaxSize {
			info.ClientMaxSize = p.ClientMaxSize
		}
		info.Participants = append(info.Participants, ParticipantInfo{DisplayName: p.DisplayName,
			Account: p.Account, RoomConnectionID: p.ConnectionID, Owner: p.Owner})
	}
	return info
}

func (s *Server) handleListRooms(req *request) {
	var since int64
	if v := req.r.URL.Query().Get("version"); v != "" {
		n, ok := parseInt(v)
		if !ok {
			s.fail(req, errInvalid("version should be a valid number"))
			return
		}
		since = n
	}
	rooms, err := s.store.Rooms(req.ctx, req.user)
	if err != nil {
		s.backend(req, "rooms", err)
		return
	}
	out := []RoomInfo{}
	for _, r := range rooms {
		if r.UpdateTime < since {
			continue
		}
		parts, err := s.store.Participants(req.ctx, r.Token)
		if err != nil {
			s.backend(req, "participants", err)
			return
		}
		out = append(out, s.roomInfo(r, parts))
	}
	if since > 0 {
		del, err := s.store.DeletedRooms(req.ctx, req.user, since)
		if err != nil {
			s.backend(req, "deleted rooms", err)
			return
		}
		for tok := range del {
			out = append(out, RoomInfo{RoomToken: tok, Deleted: true})
		}
	}
	s.reply(req, http.StatusOK, out)
}

// loadRoom loads the :token room; a missing one is 404 errno 105.
func (s *Server) loadRoom(req *request) (Room, bool) {
	r, err := s.store.Room(req.ctx, req.token)
	if errors.Is(err, ErrNotFound) {
		s.fail(req, NewError(http.StatusNotFound, ErrnoInvalidToken, "Room not found."))
		return r, false
	}
	if err != nil {
		s.backend(req, "room", err)
		return r, false
	}
	return r, true
}

// basicParticipant checks "Authorization: Basic base64(token:)" against
// the room; it sets req.participant.
func (s *Server) basicParticipant(req *request, room string) *Error {
	authz := strings.TrimSpace(req.r.Header.Get("Authorization"))
	scheme, cred, _ := strings.Cut(authz, " ")
	if !strings.EqualFold(scheme, "Basic") {
		return nil
	}
	bad := NewError(http.StatusUnauthorized, ErrnoInvalidAuthToken, "Unauthorized")
	bad.Header = http.Header{"Www-Authenticate": {"Basic"}}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
	if err != nil {
		return bad
	}
	tok, _, _ := strings.Cut(string(raw), ":")
	if tok == "" || len(tok) > 128 {
		return bad
	}
	id, err := s.store.ParticipantToken(req.ctx, room, hmacHex(s.opts.HawkIDSecret, "participant:"+tok))
	if errors.Is(err, ErrNotFound) {
		return bad
	}
	if err != nil {
		return errBackend()
	}
	req.participant = id
	return nil
}

// participantID is who the request speaks for in a room: its Hawk
// session or its Basic token; "" when neither.
func (req *request) participantID() string {
	if req.participant != "" {
		return req.participant
	}
	return req.id
}

func (s *Server) handleGetRoom(req *request) {
	r, ok := s.loadRoom(req)
	if !ok {
		return
	}
	if e := s.basicParticipant(req, r.Token); e != nil {
		s.fail(req, e)
		return
	}
	parts, err := s.store.Participants(req.ctx, r.Token)
	if err != nil {
		s.backend(req, "participants", err)
		return
	}
	who := req.participantID()
	allowed := req.auth != nil && r.OwnerMac == req.user
	for _, p := range parts {
		if who != "" && p.ID == who {
			allowed = true
		}
	}
	if who == "" {
		e := NewError(http.StatusUnauthorized, ErrnoInvalidAuthToken, "Unauthorized")
		e.Header = http.Header{"Www-Authenticate": {"Basic,Hawk"}}
		s.fail(req, e)
		return
	}
	if !allowed {
		s.fail(req, errRoomForbidden())
		return
	}
	s.reply(req, http.StatusOK, s.roomInfo(r, parts))
}

func (s *Server) ownRoom(req *request) (Room, bool) {
	r, ok := s.loadRoom(req)
	if !ok {
		return r, false
	}
	if r.OwnerMac != req.user {
		s.fail(req, errRoomForbidden())
		return r, false
	}
	return r, true
}

func (s *Server) handleUpdateRoom(req *request) {
	r, ok := s.ownRoom(req)
	if !ok {
		return
	}
	in, e := ParseRoomRequest(req.body, false, s.roomLimits())
	if e != nil {
		s.fail(req, e)
		return
	}
	now := s.now().Unix()
	if req.body.Has("roomName") {
		r.Name = in.RoomName
	}
	if req.body.Has("roomOwner") {
		r.Owner = in.RoomOwner
	}
	if in.MaxSize > 0 {
		r.MaxSize = in.MaxSize
	}
	if in.Context != nil {
		r.Context = in.Context
	}
	if in.ExpiresIn > 0 {
		r.ExpiresAt = now + in.ExpiresIn*3600
	}
	r.UpdateTime = now
	if err := s.store.SetRoom(req.ctx, r, s.opts.SessionTTL); err != nil {
		s.backend(req, "set room", err)
		return
	}
	s.notifyRoom(r)
	s.reply(req, http.StatusOK, Expiry{ExpiresAt: r.ExpiresAt})
}

func (s *Server) handleDeleteRoom(req *request) {
	r, ok := s.ownRoom(req)
	if !ok {
		return
	}
	if err := s.store.DeleteRoom(req.ctx, req.user, r.Token, s.now(), s.opts.RoomDeletedTTL); err != nil {
		s.backend(req, "delete room", err)
		return
	}
	s.notifyRoom(r)
	s.reply(req, http.StatusNoContent, nil)
}

// handleDeleteRooms is PATCH /rooms {"deleteRoomTokens": [...]}.
func (s *Server) handleDeleteRooms(req *request) {
	if e := req.body.Missing("deleteRoomTokens"); e != nil {
		s.fail(req, e)
		return
	}
	list, ok := req.body["deleteRoomTokens"].([]any)
	if !ok || len(list) > 100 {
		s.fail(req, errInvalid("deleteRoomTokens should be an array of at most 100 tokens"))
		return
	}
	out := map[string]any{}
	notified := false
	for _, v := range list {
		tok, _ := v.(string)
		if tok == "" {
			continue
		}
		r, err := s.store.Room(req.ctx, tok)
		switch {
		case errors.Is(err, ErrNotFound):
			out[tok] = NewError(http.StatusNotFound, ErrnoInvalidToken, "Room not found.")
		case err != nil:
			s.backend(req, "room", err)
			return
		case r.OwnerMac != req.user:
			out[tok] = errRoomForbidden()
		default:
			if err := s.store.DeleteRoom(req.ctx, req.user, tok, s.now(), s.opts.RoomDeletedTTL); err != nil {
				s.backend(req, "delete room", err)
				return
			}
			out[tok] = map[string]int{"code": 200}
			if !notified {
				s.notifyRoom(r)
				notified = true
			}
		}
	}
	s.reply(req, http.StatusOK, map[string]any{"responses": out})
}

func (s *Server) handleRoomAction(req *request) {
	r, ok := s.loadRoom(req)
	if !ok {
		return
	}
	if e := s.basicParticipant(req, r.Token); e != nil {
		s.fail(req, e)
		return
	}
	if !acceptsJSON(req.r) {
		s.fail(req, errNotAcceptable())
		return
	}
	act, e := ParseRoomAction(req.body, s.opts.RoomMaxSize)
	if e != nil {
		s.fail(req, e)
		return
	}
	who := req.participantID()
	now := s.now()
	switch act.Action {
	case ActionJoin:
		s.joinRoom(req, r, act, who, now)
	case ActionRefresh:
		if who == "" || !s.isParticipant(req, r.Token, who) {
			return
		}
		parts, _ := s.store.Participants(req.ctx, r.Token)
		for _, p := range parts {
			if p.ID == who {
				p.ExpiresAt = now.Add(s.opts.ParticipantTTL).UnixMilli()
				if err := s.store.JoinRoom(req.ctx, r.Token, p, r.MaxSize); err != nil && !errors.Is(err, ErrRoomFull) {
					s.backend(req, "refresh participant", err)
					return
				}
			}
		}
		s.reply(req, http.StatusOK, RoomRefreshed{Expires: int64(s.opts.ParticipantTTL / time.Second)})
	case ActionLeave:
		if who == "" || !s.isParticipant(req, r.Token, who) {
			return
		}
		if err := s.store.LeaveRoom(req.ctx, r.Token, who); err != nil {
			s.backend(req, "leave room", err)
			return
		}
		s.notifyRoom(r)
		s.reply(req, http.StatusNoContent, nil)
	case ActionStatus:
		if who == "" || !s.isParticipant(req, r.Token, who) {
			return
		}
		s.reply(req, http.StatusNoContent, nil)
	}
}

// isParticipant answers 400 errno 203 when who is not in the room.
func (s *Server) isParticipant(req *request, room, who string) bool {
	parts, err := s.store.Participants(req.ctx, room)
	if err != nil {
		s.backend(req, "participants", err)
		return false
	}
	for _, p := range parts {
		if p.ID == who {
			return true
		}
	}
	s.fail(req, NewError(http.StatusBadRequest, ErrnoNotRoomParticipant, "Not a room participant."))
	return false
}

func (s *Server) joinRoom(req *request, r Room, act RoomAction, who string, now time.Time) {
	var newToken string
	if who == "" { // a link clicker: it gets a Basic participant token
		newToken = randHex(16)
		who = hmacHex(s.opts.HawkIDSecret, "participant:"+newToken)
	}
	parts, err := s.store.Participants(req.ctx, r.Token)
	if err != nil {
		s.backend(req, "participants", err)
		return
	}
	others := 0
	for _, p := range parts {
		if p.ID == who {
			continue
		}
		others++
		if p.ClientMaxSize > 0 && others >= p.ClientMaxSize {
			e := NewError(http.StatusBadRequest, ErrnoClientReachedCapacity, "Too many participants")
			e.Info = rawJSON(map[string]int{"clientMaxSize": p.ClientMaxSize})
			s.fail(req, e)
			return
		}
	}
	if others >= act.ClientMaxSize {
		e := NewError(http.StatusBadRequest, ErrnoClientReachedCapacity, "Too many participants")
		e.Info = rawJSON(map[string]int{"clientMaxSize": act.ClientMaxSize})
		s.fail(req, e)
		return
	}
	tok, err := s.opts.Provider.NewToken(req.ctx, r.SessionID)
	if err != nil {
		s.backend(req, "provider token", err)
		return
	}
	p := Participant{ID: who, ConnectionID: randHex(16), DisplayName: act.DisplayName, Account: req.identity,
		ClientMaxSize: act.ClientMaxSize, Owner: req.auth != nil && r.OwnerMac == req.user,
		JoinedAt: now.UnixMilli(), ExpiresAt: now.Add(s.opts.ParticipantTTL).UnixMilli()}
	if err := s.store.JoinRoom(req.ctx, r.Token, p, r.MaxSize); errors.Is(err, ErrRoomFull) {
		s.fail(req, NewError(http.StatusBadRequest, ErrnoRoomFull, "The room is full."))
		return
	} else if err != nil {
		s.backend(req, "join room", err)
		return
	}
	if newToken != "" {
		ttl := time.Unix(r.ExpiresAt, 0).Sub(now)
		if err := s.store.SetParticipantToken(req.ctx, r.Token, who, who, max(ttl, time.Second)); err != nil {
			s.backend(req, "participant token", err)
			return
		}
	}
	s.notifyRoom(r)
	s.reply(req, http.StatusOK, RoomJoined{APIKey: r.APIKey, SessionID: r.SessionID, SessionToken: tok,
		Expires: int64(s.opts.ParticipantTTL / time.Second), ParticipantToken: newToken})
}
