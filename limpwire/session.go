package limpwire

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"strings"
	"time"
)

// Collections the server keeps its own state in, in the Store: two
// servers on one database share users and sessions.
const (
	SessionCollection = "session"
	UserCollection    = "user"
)

// Session is a session bound to a connection (docs/protocols/limp.md
// section 6). The anonymous session is nil or has ID AnonSID.
type Session struct {
	ID     string
	Token  string
	User   Doc // the user document, *_hash attributes removed
	Groups []string
	Expiry time.Time
}

// Anon reports whether s is the anonymous session.
func (s *Session) Anon() bool { return s == nil || s.ID == AnonSID || s.ID == "" }

// UserID returns the session's user id (AnonUserID when anonymous).
func (s *Session) UserID() string {
	if s.Anon() {
		return AnonUserID
	}
	id, _ := s.User["_id"].(string)
	return id
}

// replyDoc is the session object of auth and reauth replies.
func (s *Session) replyDoc(hostAdd, ua string) map[string]any {
	groups := make([]any, len(s.Groups))
	for i, g := range s.Groups {
		groups[i] = g
	}
	return map[string]any{
		"_id": s.ID, "user": s.User, "groups": groups, "host_add": hostAdd,
		"user_agent": ua, "expiry": isoTime(s.Expiry), "token": s.Token,
	}
}

// publicUser returns u without its *_hash attributes (and with _id a
// string).
func publicUser(u Doc) Doc {
	out := make(Doc, len(u))
	for k, v := range u {
		if strings.HasSuffix(k, "_hash") {
			continue
		}
		if h, ok := v.(interface{ Hex() string }); ok {
			v = h.Hex()
		}
		out[k] = v
	}
	return out
}

func idString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case interface{ Hex() string }:
		return v.Hex()
	}
	return ""
}

// newToken returns a session token as 6.0 makes them:
// secrets.token_urlsafe(32), 43 base64url characters.
func newToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// readOne reads the first document matching raw.
func (s *Server) readOne(ctx context.Context, coll string, raw []any) (Doc, error) {
	q, err := ParseQuery(append(raw, map[string]any{"$limit": 1.0}))
	if err != nil {
		return nil, err
	}
	res, err := s.opts.Store.Read(ctx, coll, q)
	if err != nil || len(res.Docs) == 0 {
		return nil, err
	}
	return res.Docs[0], nil
}

// NewUser describes a user for Server.AddUser.
type NewUser struct {
	ID         string              // 24 hex; empty lets the store choose
	Name       string              // display name
	Email      string              // at least one of Email, Username, Phone
	Username   string              //
	Phone      string              //
	Password   string              // hashed at Level for each auth attribute given
	Level      HashLevel           // the client's hash level (5.6 by default)
	Privileges map[string][]string // {"*": ["*"]} for an administrator
}

// AddUser stores a user whose <attr>_hash values are computed from the
// password as a client at u.Level computes them (with the server's anon
// token), so that session/auth accepts it. It returns the user's id.
func (s *Server) AddUser(ctx context.Context, u NewUser) (string, error) {
	doc := Doc{"name": u.Name, "status": "active", "groups": []any{DefaultGroup}}
	if u.ID != "" {
		doc["_id"] = u.ID
	}
	priv := map[string]any{}
	for mod, l := range u.Privileges {
		list := make([]any, len(l))
		for i, p := range l {
			list[i] = p
		}
		priv[mod] = list
	}
	doc["privileges"] = priv
	n := 0
	for _, a := range [][2]string{{"email", u.Email}, {"username", u.Username}, {"phone", u.Phone}} {
		if a[1] == "" {
			continue
		}
		n++
		doc[a[0]] = a[1]
		doc[a[0]+"_hash"] = AuthHash(u.Level, a[0], a[1], u.Password, s.opts.AnonToken)
	}
	if n == 0 {
		return "", errors.New("limpwire: AddUser needs an email, username or phone")
	}
	return s.opts.Store.Create(ctx, UserCollection, doc)
}

// sessionModule is the core "session" module: auth, reauth, signout.
func (s *Server) sessionModule() *Module {
	var authSets []ArgSet
	for _, a := range s.opts.AuthAttrs {
		t := TypeString
		switch a {
		case "email":
			t = TypeEmail
		case "phone":
			t = TypePhone
		}
		authSets = append(authSets, ArgSet{"hash": TypeString, a: t}, ArgSet{"hash": TypeString, a: t, "groups": TypeIDList})
	}
	anyone := []Permission{{Privilege: "*"}}
	return &Module{Name: "session", Package: "CORE", Methods: map[string]*Method{
		"auth": {Permissions: anyone, DocArgs: authSets, Handle: s.auth},
		"reauth": {Permissions: anyone, QueryArgs: []ArgSet{
			{"_id": TypeID, "hash": TypeString},
			{"_id": TypeID, "hash": TypeString, "groups": TypeIDList},
		}, Handle: s.reauth},
		"signout": {Permissions: []Permission{{Privilege: "__AUTH"}}, QueryArgs: []ArgSet{{"_id": TypeID}}, Handle: s.signout},
	}}
}

func (s *Server) auth(ctx context.Context, r *Request) (*Result, error) {
	var attr string
	for _, a := range s.opts.AuthAttrs {
		if _, ok := r.Doc[a]; ok {
			attr = a
			break
		}
	}
	val, _ := r.Doc[attr].(string)
	hash, _ := r.Doc["hash"].(string)
	u, err := s.readOne(ctx, UserCollection, []any{map[string]any{attr: val}})
	if err != nil {
		return nil, err
	}
	stored, _ := u[attr+"_hash"].(string)
	if u == nil || subtle.ConstantTimeCompare([]byte(stored), []byte(hash)) != 1 {
		return nil, ErrInvalidCreds
	}
	switch u["status"] {
	case "banned":
		return nil, ErrUserBanned
	case "deleted":
		return nil, ErrUserDeleted
	case "disabled_password":
		return nil, ErrPasswordDisabled
	}
	var groups []string
	for _, g := range asList(u["groups"]) {
		if g, ok := g.(string); ok {
			groups = append(groups, g)
		}
	}
	if want := asList(r.Doc["groups"]); len(want) > 0 && !privilegesOfHasAll(u) {
		if !anyIn(want, groups) {
			return nil, ErrInvalidCreds
		}
	}
	sess := &Session{Token: newToken(), User: publicUser(u), Groups: groups, Expiry: s.now().Add(s.opts.SessionLifetime)}
	id, err := s.opts.Store.Create(ctx, SessionCollection, Doc{
		"user": idString(u["_id"]), "groups": asAnyList(groups), "host_add": r.IP,
		"user_agent": r.UA, "expiry": sess.Expiry, "token": sess.Token,
	})
	if err != nil {
		return nil, err
	}
	sess.ID = id
	return &Result{Msg: "You were successfully authed.", Args: map[string]any{"session": sess.replyDoc(r.IP, r.UA)}}, nil
}

func (s *Server) reauth(ctx context.Context, r *Request) (*Result, error) {
	get := queryAttr(r.RawQuery)
	idv, _ := get("_id")
	id, _ := idv.(string)
	hv, _ := get("hash")
	hash, _ := hv.(string)
	if id == AnonSID {
		return nil, ErrAnonReauth
	}
	sd, err := s.readOne(ctx, SessionCollection, []any{map[string]any{"_id": id}})
	if err != nil {
		return nil, err
	}
	if sd == nil {
		return nil, ErrInvalidSession
	}
	token, _ := sd["token"].(string)
	if subtle.ConstantTimeCompare([]byte(ReauthHash(token)), []byte(hash)) != 1 {
		return nil, ErrReauthHash
	}
	exp, _ := sd["expiry"].(time.Time)
	if !exp.After(s.now()) {
		return nil, ErrSessionExpired
	}
	u, err := s.readOne(ctx, UserCollection, []any{map[string]any{"_id": idString(sd["user"])}})
	if err != nil {
		return nil, err
	}
	if u == nil {
		return nil, ErrInvalidSession
	}
	sess := &Session{ID: id, Token: token, User: publicUser(u), Expiry: s.now().Add(s.opts.SessionLifetime)}
	for _, g := range asList(sd["groups"]) {
		if g, ok := g.(string); ok {
			sess.Groups = append(sess.Groups, g)
		}
	}
	q, _ := ParseQuery([]any{map[string]any{"_id": id}})
	if _, err := s.opts.Store.Update(ctx, SessionCollection, q, Doc{"expiry": sess.Expiry}); err != nil {
		return nil, err
	}
	host, _ := sd["host_add"].(string)
	ua, _ := sd["user_agent"].(string)
	return &Result{Msg: "You were succefully reauthed.", Args: map[string]any{"session": sess.replyDoc(host, ua)}}, nil
}

func (s *Server) signout(ctx context.Context, r *Request) (*Result, error) {
	idv, _ := queryAttr(r.RawQuery)("_id")
	id, _ := idv.(string)
	sd, err := s.readOne(ctx, SessionCollection, []any{map[string]any{"_id": id}})
	if err != nil {
		return nil, err
	}
	if sd == nil {
		return nil, ErrInvalidSession
	}
	// 6.0 deletes the connection's own session, whatever _id named.
	q, err := ParseQuery([]any{map[string]any{"_id": r.Session.ID}})
	if err != nil {
		return nil, err
	}
	if _, err := s.opts.Store.Delete(ctx, SessionCollection, q, false); err != nil {
		return nil, err
	}
	return &Result{Msg: "You are successfully signed-out.", Args: map[string]any{"session": map[string]any{"_id": AnonSID}}}, nil
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func asAnyList(s []string) []any {
	out := make([]any, len(s))
	for i, e := range s {
		out[i] = e
	}
	return out
}

func anyIn(want []any, have []string) bool {
	for _, w := range want {
		for _, h := range have {
			if w == h {
				return true
			}
		}
	}
	return false
}

func privilegesOfHasAll(u Doc) bool {
	for _, p := range privilegesOf(u)["*"] {
		if p == "*" {
			return true
		}
	}
	return false
}
