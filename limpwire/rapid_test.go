package limpwire_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/appwire/appwire/limpwire"
	"github.com/appwire/appwire/limpwire/limpwiretest"
	"pgregory.net/rapid"
)

// sessionModel is what a connection's session state should be.
type sessionModel struct {
	authed  bool
	current string            // session id when authed
	tokens  map[string]string // sessions made so far: id -> token
	valid   map[string]bool   // not signed out
	order   []string
}

// TestRapidSessions runs random sequences of auth (good and bad
// passwords), reauth (of live, signed-out and unknown sessions, with
// good and bad hashes), signout and reads on real connections against a
// model of the session rules (docs/protocols/limp.md section 6), checking
// every reply and which key the connection signs with.
func TestRapidSessions(t *testing.T) {
	srv := limpwiretest.Start(t, limpwire.Options{QuotaIP: -1, QuotaAnon: -1, QuotaAuth: -1})
	rapid.Check(t, func(rt *rapid.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := limpwire.Dial(ctx, srv.URL, limpwire.ClientOptions{Heartbeat: -1})
		if err != nil {
			rt.Fatal(err)
		}
		defer c.Close()
		m := &sessionModel{tokens: map[string]string{}, valid: map[string]bool{}}
		want := func(what string, err, target error) {
			if target == nil && err != nil || target != nil && !errors.Is(err, target) {
				rt.Fatalf("%s: %v, want %v (model %+v)", what, err, target, *m)
			}
		}
		pick := func() string {
			if len(m.order) == 0 || rapid.Bool().Draw(rt, "unknown session") {
				return "0123456789abcdef01234567"
			}
			return rapid.SampledFrom(m.order).Draw(rt, "session")
		}
		rt.Repeat(map[string]func(*rapid.T){
			"auth": func(rt *rapid.T) {
				good := rapid.Bool().Draw(rt, "good password")
				pw := limpwiretest.AdminPassword
				if !good {
					pw += "x"
				}
				s, err := c.Auth(ctx, "email", limpwiretest.AdminEmail, pw)
				switch {
				case m.authed:
					want("auth while authed", err, limpwire.ErrAlreadyAuthed)
				case !good:
					want("auth with a wrong password", err, limpwire.ErrInvalidCreds)
				default:
					want("auth", err, nil)
					m.authed, m.current = true, s.ID
					m.tokens[s.ID], m.valid[s.ID] = s.Token, true
					m.order = append(m.order, s.ID)
				}
			},
			"reauth": func(rt *rapid.T) {
				id := pick()
				tok, known := m.tokens[id]
				goodHash := known && rapid.Bool().Draw(rt, "good hash")
				if !goodHash {
					tok = "not-the-token"
				}
				s, err := c.Reauth(ctx, id, tok)
				switch {
				case m.authed:
					want("reauth while authed", err, limpwire.ErrAlreadyAuthed)
				case !m.valid[id]:
					want("reauth of a dead session", err, limpwire.ErrInvalidSession)
				case !goodHash:
					want("reauth with a bad hash", err, limpwire.ErrReauthHash)
				default:
					want("reauth", err, nil)
					if s.ID != id {
						rt.Fatalf("reauth gave session %s, want %s", s.ID, id)
					}
					m.authed, m.current = true, id
				}
			},
			"signout": func(rt *rapid.T) {
				if !m.authed {
					// Past the client's own check: the server's answer.
					_, err := c.Call(ctx, "session/signout", []any{map[string]any{"_id": limpwire.AnonSID}}, nil)
					want("anonymous signout", err, limpwire.ErrAnonSignout)
					return
				}
				want("signout", c.Signout(ctx), nil)
				m.authed, m.valid[m.current] = false, false
			},
			"read": func(rt *rapid.T) {
				r, err := c.Call(ctx, "user/read", []any{map[string]any{"_id": limpwire.AdminUserID}}, nil)
				if !m.authed {
					want("anonymous read", err, limpwire.ErrForbidden)
					return
				}
				want("read", err, nil)
				if r.Args["count"] != 1.0 {
					rt.Fatalf("read as admin: %+v", r.Args)
				}
			},
			"": func(rt *rapid.T) {
				// The client's session is the model's.
				s := c.Session()
				if m.authed != (s != nil) || s != nil && s.ID != m.current {
					rt.Fatalf("client session %+v, model %+v", s, *m)
				}
			},
		})
	})
}
