package loopsuite

import (
	"context"
	"net/http"
	"strings"

	"github.com/appwire/appwire/conformance"
	"github.com/appwire/appwire/conformance/kit"
)

// Section 8: rooms.

// createRoom is POST /rooms with maxSize; it wants 201 and returns the
// room token.
func createRoom(ctx context.Context, t *conformance.T, s *session, maxSize int) string {
	r := s.do(ctx, t, "POST", "/rooms", map[string]any{"roomName": "UX Discussion", "roomOwner": "Alexis", "maxSize": maxSize})
	r.ExpectStatus(t, "HTTP 201 with the new room", http.StatusCreated)
	m := object(t, r, `{"roomToken","roomUrl","expiresAt"}`)
	tok := str(m, "roomToken")
	if !isToken11(tok) {
		t.Failf("roomToken: 11 base64url characters", "%s", r.Brief())
	}
	return tok
}

func join(ctx context.Context, t *conformance.T, s *session, room string) *kit.Response {
	return s.do(ctx, t, "POST", "/rooms/"+room, map[string]any{"action": "join", "displayName": "guest", "clientMaxSize": 5})
}

func roomCases() []conformance.Case {
	return []conformance.Case{{
		ID:          "loop/8.1/1",
		Title:       "POST /rooms answers 201 {roomToken (11 characters), roomUrl with the token, expiresAt}",
		Level:       must,
		Requirement: "Creating a room answers 201 with its token, its URL and its expiry.",
		Run: func(ctx context.Context, t *conformance.T) {
			s := newSession(ctx, t, nil)
			r := s.do(ctx, t, "POST", "/rooms", map[string]any{"roomName": "UX Discussion", "roomOwner": "Alexis", "maxSize": 2})
			r.ExpectStatus(t, "", http.StatusCreated)
			m := object(t, r, `{"roomToken","roomUrl","expiresAt"}`)
			keysExactly(t, m, `{"roomToken","roomUrl","expiresAt"}`, "roomToken", "roomUrl", "expiresAt")
			if tok := str(m, "roomToken"); !isToken11(tok) || !strings.Contains(str(m, "roomUrl"), tok) {
				t.Failf("an 11-character roomToken inside roomUrl", "%s", r.Brief())
			}
			if _, ok := num(m, "expiresAt"); !ok {
				t.Failf(`"expiresAt": unix seconds`, "%s", r.Brief())
			}
		},
	}, {
		ID:          "loop/8.1/2",
		Title:       "POST /rooms with maxSize above the server's limit (5) gets 400 errno 107",
		Level:       must,
		Requirement: "maxSize may not exceed rooms.maxSize.",
		Run: func(ctx context.Context, t *conformance.T) {
			s := newSession(ctx, t, nil)
			r := s.do(ctx, t, "POST", "/rooms", map[string]any{"roomName": "x", "roomOwner": "y", "maxSize": 99})
			r.ExpectStatus(t, "HTTP 400 errno 107", http.StatusBadRequest)
			m := object(t, r, `{"code":400,"errno":107,...}`)
			if n, _ := num(m, "errno"); n != 107 {
				t.Failf("errno 107", "%s", r.Brief())
			}
		},
	}, {
		ID:          "loop/8.3/1",
		Title:       "joining a room gives apiKey, sessionId, sessionToken and expires",
		Level:       must,
		Requirement: "action join answers 200 with the provider's session and a token for this participant, and the participant's lifetime.",
		Run: func(ctx context.Context, t *conformance.T) {
			owner := newSession(ctx, t, nil)
			room := createRoom(ctx, t, owner, 2)
			j := join(ctx, t, newSession(ctx, t, nil), room)
			j.ExpectStatus(t, "", http.StatusOK)
			m := object(t, j, `{"apiKey","sessionId","sessionToken","expires"}`)
			for _, k := range []string{"apiKey", "sessionId", "sessionToken"} {
				if str(m, k) == "" {
					t.Failf("a non-empty "+k, "%s", j.Brief())
				}
			}
			if e, ok := num(m, "expires"); !ok || e <= 0 {
				t.Failf(`"expires": seconds`, "%s", j.Brief())
			}
		},
	}, {
		ID:          "loop/8.3/2",
		Title:       `a third participant in a room of maxSize 2 gets 400 errno 202 (ROOM_FULL)`,
		Level:       must,
		Requirement: "A room holds at most maxSize participants; one more is refused with errno 202.",
		Run: func(ctx context.Context, t *conformance.T) {
			owner := newSession(ctx, t, nil)
			room := createRoom(ctx, t, owner, 2)
			for i := 0; i < 2; i++ {
				join(ctx, t, newSession(ctx, t, nil), room).ExpectStatus(t, "HTTP 200 for the first two", http.StatusOK)
			}
			j := join(ctx, t, newSession(ctx, t, nil), room)
			j.ExpectStatus(t, "HTTP 400 errno 202", http.StatusBadRequest)
			m := object(t, j, `{"code":400,"errno":202,...}`)
			if n, _ := num(m, "errno"); n != 202 {
				t.Failf("errno 202", "%s", j.Brief())
			}
		},
	}}
}
