package oauth

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func apiDo(t *testing.T, s *Server, method, path, token, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}

func apiGet(t *testing.T, s *Server, path, token string) *httptest.ResponseRecorder {
	return apiDo(t, s, "GET", path, token, "")
}

// issue runs authorize and token for scope and returns the access token.
func issue(t *testing.T, s *Server, scope string) string {
	t.Helper()
	return issueAs(t, s, scope, "")
}

// issueAs is issue with the demo login of user (when not auto-approving).
func issueAs(t *testing.T, s *Server, scope, user string) string {
	t.Helper()
	v := NewVerifier()
	q := authParamsFor(v)
	q.Set("scope", scope)
	if user != "" {
		q.Set("login", user)
		q.Set("approve", "yes")
	}
	code := redirectParams(t, authorizeReq(s, q), srvRedir).Get("code")
	rec, body := tokenReq(t, s, tokenForm(code, v))
	if rec.Code != 200 {
		t.Fatalf("token: %d %v", rec.Code, body)
	}
	return body["access_token"].(string)
}

func TestBearerChecks(t *testing.T) {
	c := newClock()
	s := newTestServer(t, testServerConfig(c))
	at := issue(t, s, "profile")

	rec := apiGet(t, s, "/api/me", at)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"user":"alice"`) {
		t.Fatalf("/api/me: %d %s", rec.Code, rec.Body.String())
	}

	for _, tc := range []struct {
		name      string
		header    []string
		status    int
		challenge string // substring of WWW-Authenticate; "" means none expected
		noError   bool
	}{
		{"no credentials", nil, 401, `Bearer realm="appwire"`, true},
		{"basic scheme", []string{"Basic YTpi"}, 401, `Bearer realm="appwire"`, true},
		{"unknown token", []string{"Bearer " + NewVerifier()}, 401, `error="invalid_token"`, false},
		{"token prefix", []string{"Bearer " + at[:len(at)-1]}, 401, `error="invalid_token"`, false},
		{"empty token", []string{"Bearer "}, 400, `error="invalid_request"`, false},
		{"token with space", []string{"Bearer " + at + " x"}, 400, `error="invalid_request"`, false},
		{"two fields", []string{"Bearer " + at, "Bearer " + at}, 400, `error="invalid_request"`, false},
		{"lower-case scheme works", []string{"bearer " + at}, 200, "", false},
	} {
		req := httptest.NewRequest("GET", "/api/me", nil)
		for _, h := range tc.header {
			req.Header.Add("Authorization", h)
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		wa := rec.Header().Get("WWW-Authenticate")
		if rec.Code != tc.status || !strings.Contains(wa, tc.challenge) || (tc.noError && strings.Contains(wa, "error=")) {
			t.Errorf("%s: %d WWW-Authenticate=%q, want %d with %q", tc.name, rec.Code, wa, tc.status, tc.challenge)
		}
	}

	// Scope: a profile-only token may not read notes.
	rec = apiGet(t, s, "/api/notes", at)
	if wa := rec.Header().Get("WWW-Authenticate"); rec.Code != 403 || !strings.Contains(wa, `error="insufficient_scope"`) || !strings.Contains(wa, `scope="notes:read"`) {
		t.Errorf("insufficient scope: %d %q", rec.Code, wa)
	}

	// Expiry, on the injected clock.
	c.Advance(DefaultTokenTTL - time.Second)
	if rec := apiGet(t, s, "/api/me", at); rec.Code != 200 {
		t.Errorf("token refused before expiry: %d", rec.Code)
	}
	c.Advance(time.Second)
	if rec := apiGet(t, s, "/api/me", at); rec.Code != 401 || !strings.Contains(rec.Header().Get("WWW-Authenticate"), "invalid_token") {
		t.Errorf("expired token: %d %q", rec.Code, rec.Header().Get("WWW-Authenticate"))
	}
}

func TestNotes(t *testing.T) {
	cfg := testServerConfig(newClock())
	cfg.MaxNotesPerUser = 2
	cfg.AutoApprove = ""
	cfg.Users = []string{"alice", "bob"}
	s := newTestServer(t, cfg)
	rw := issueAs(t, s, "notes:read notes:write", "alice")
	ro := issueAs(t, s, "notes:read", "alice")

	if rec := apiGet(t, s, "/api/notes", ro); rec.Code != 200 || strings.TrimSpace(rec.Body.String()) != `{"notes":[]}` {
		t.Errorf("empty list: %d %s", rec.Code, rec.Body.String())
	}
	if rec := apiDo(t, s, "POST", "/api/notes", ro, `{"text":"x"}`); rec.Code != 403 {
		t.Errorf("read-only token created a note: %d", rec.Code)
	}
	rec := apiDo(t, s, "POST", "/api/notes", rw, `{"text":"2+2=4"}`)
	var n note
	if rec.Code != 201 || json.Unmarshal(rec.Body.Bytes(), &n) != nil || n.Text != "2+2=4" || rec.Header().Get("Location") != "/api/notes/"+n.ID {
		t.Fatalf("create: %d %s %v", rec.Code, rec.Body.String(), rec.Header())
	}
	if rec := apiGet(t, s, "/api/notes/"+n.ID, ro); rec.Code != 200 || !strings.Contains(rec.Body.String(), "2+2=4") {
		t.Errorf("get: %d %s", rec.Code, rec.Body.String())
	}
	for _, body := range []string{`{"text":""}`, `{"txt":"x"}`, `not json`, `{"text":"` + strings.Repeat("a", maxNoteBytes+1) + `"}`} {
		if rec := apiDo(t, s, "POST", "/api/notes", rw, body); rec.Code != 400 {
			t.Errorf("create %.20q: %d, want 400", body, rec.Code)
		}
	}
	req := httptest.NewRequest("POST", "/api/notes", strings.NewReader(`{"text":"x"}`))
	req.Header.Set("Authorization", "Bearer "+rw)
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusUnsupportedMediaType {
		t.Errorf("create without JSON type: %d", rec.Code)
	}
	apiDo(t, s, "POST", "/api/notes", rw, `{"text":"second"}`)
	if rec := apiDo(t, s, "POST", "/api/notes", rw, `{"text":"third"}`); rec.Code != 409 {
		t.Errorf("note cap: %d, want 409", rec.Code)
	}

	// Another user sees none of alice's notes.
	bob := issueAs(t, s, "notes:read notes:write", "bob")
	if rec := apiGet(t, s, "/api/notes/"+n.ID, bob); rec.Code != 404 {
		t.Errorf("bob read alice's note: %d", rec.Code)
	}
	if rec := apiDo(t, s, "DELETE", "/api/notes/"+n.ID, bob, ""); rec.Code != 404 {
		t.Errorf("bob deleted alice's note: %d", rec.Code)
	}
	if rec := apiDo(t, s, "DELETE", "/api/notes/"+n.ID, rw, ""); rec.Code != 204 {
		t.Errorf("delete: %d", rec.Code)
	}
	if rec := apiGet(t, s, "/api/notes/"+n.ID, rw); rec.Code != 404 {
		t.Errorf("deleted note still there: %d", rec.Code)
	}
	if rec := apiDo(t, s, "DELETE", "/api/notes/"+n.ID, rw, ""); rec.Code != 404 {
		t.Errorf("second delete: %d", rec.Code)
	}
}
