package oauth

import (
	"encoding/json"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxNoteBytes bounds one note's text; maxNoteBody bounds the JSON body.
const (
	maxNoteBytes = 4 << 10
	maxNoteBody  = 8 << 10
)

type note struct {
	ID      string    `json:"id"`
	Text    string    `json:"text"`
	Created time.Time `json:"created"`
}

// grant is what a valid Bearer token authorizes.
type grant struct {
	user     string
	clientID string
	scopes   []string
}

func (s *Server) routeAPI(mux *http.ServeMux) {
	mux.Handle("GET /api/me", s.bearer(ScopeProfile, s.me))
	mux.Handle("GET /api/notes", s.bearer(ScopeNotesRead, s.listNotes))
	mux.Handle("POST /api/notes", s.bearer(ScopeNotesWrite, s.createNote))
	mux.Handle("GET /api/notes/{id}", s.bearer(ScopeNotesRead, s.getNote))
	mux.Handle("DELETE /api/notes/{id}", s.bearer(ScopeNotesWrite, s.deleteNote))
}

// bearer guards h with RFC 6750 Bearer authentication and a scope:
//
//   - no credentials, or another scheme: 401 with a bare Bearer challenge;
//   - two Authorization fields or a malformed token: 400 invalid_request;
//   - an unknown, expired or revoked token: 401 invalid_token;
//   - a valid token without scope: 403 insufficient_scope.
func (s *Server) bearer(scope string, h func(http.ResponseWriter, *http.Request, grant)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		vals := r.Header.Values("Authorization")
		if len(vals) > 1 {
			challenge(w, http.StatusBadRequest, InvalidRequest, "more than one Authorization field", "")
			return
		}
		scheme, tok, _ := strings.Cut(strings.Join(vals, ""), " ")
		if !strings.EqualFold(scheme, "Bearer") {
			challenge(w, http.StatusUnauthorized, "", "", "")
			return
		}
		if !isB64Token(tok) {
			challenge(w, http.StatusBadRequest, InvalidRequest, "malformed Bearer token", "")
			return
		}
		t := s.store.lookupToken(tok)
		if t == nil {
			challenge(w, http.StatusUnauthorized, InvalidToken, "the access token is unknown, expired or revoked", "")
			return
		}
		if !slices.Contains(t.scopes, scope) {
			challenge(w, http.StatusForbidden, InsufficientScope, "the token lacks scope "+scope, scope)
			return
		}
		h(w, r, grant{user: t.user, clientID: t.clientID, scopes: t.scopes})
	})
}

// challenge writes an RFC 6750 §3 WWW-Authenticate: Bearer answer. An
// empty code is the bare challenge for a request without credentials.
func challenge(w http.ResponseWriter, status int, code ErrorCode, desc, scope string) {
	v := `Bearer realm="` + realm + `"`
	if code != "" {
		v += `, error="` + string(code) + `", error_description="` + desc + `"`
	}
	if scope != "" {
		v += `, scope="` + scope + `"`
	}
	w.Header().Set("WWW-Authenticate", v)
	if code == "" {
		w.WriteHeader(status)
		return
	}
	apiError(w, status, string(code), desc)
}

// isB64Token: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" (RFC 6750 §2.1).
func isB64Token(s string) bool {
	body := strings.TrimRight(s, "=")
	if body == "" {
		return false
	}
	for i := 0; i < len(body); i++ {
		if c := body[i]; !isUnreserved(c) && c != '+' && c != '/' {
			return false
		}
	}
	return true
}

func apiError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

func (s *Server) me(w http.ResponseWriter, _ *http.Request, g grant) {
	writeJSON(w, http.StatusOK, map[string]string{
		"user":      g.user,
		"client_id": g.clientID,
		"scope":     strings.Join(g.scopes, " "),
	})
}

func (s *Server) listNotes(w http.ResponseWriter, _ *http.Request, g grant) {
	s.notesMu.Lock()
	list := slices.Clone(s.notes[g.user])
	s.notesMu.Unlock()
	if list == nil {
		list = []note{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"notes": list})
}

func (s *Server) createNote(w http.ResponseWriter, r *http.Request, g grant) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		apiError(w, http.StatusUnsupportedMediaType, "invalid_request", "body must be application/json")
		return
	}
	var in struct {
		Text string `json:"text"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxNoteBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil || in.Text == "" || len(in.Text) > maxNoteBytes {
		apiError(w, http.StatusBadRequest, "invalid_request", `body must be {"text": "..."} with 1 to 4096 bytes of text`)
		return
	}
	s.notesMu.Lock()
	if len(s.notes[g.user]) >= s.cfg.MaxNotesPerUser {
		s.notesMu.Unlock()
		apiError(w, http.StatusConflict, "too_many_notes", "delete a note first")
		return
	}
	s.nextID++
	n := note{ID: strconv.FormatUint(s.nextID, 10), Text: in.Text, Created: s.cfg.Now().UTC()}
	s.notes[g.user] = append(s.notes[g.user], n)
	s.notesMu.Unlock()
	w.Header().Set("Location", "/api/notes/"+n.ID)
	writeJSON(w, http.StatusCreated, n)
}

func (s *Server) getNote(w http.ResponseWriter, r *http.Request, g grant) {
	s.notesMu.Lock()
	i := s.findNote(g.user, r.PathValue("id"))
	var n note
	if i >= 0 {
		n = s.notes[g.user][i]
	}
	s.notesMu.Unlock()
	if i < 0 {
		apiError(w, http.StatusNotFound, "not_found", "no such note")
		return
	}
	writeJSON(w, http.StatusOK, n)
}

func (s *Server) deleteNote(w http.ResponseWriter, r *http.Request, g grant) {
	s.notesMu.Lock()
	i := s.findNote(g.user, r.PathValue("id"))
	if i >= 0 {
		s.notes[g.user] = slices.Delete(s.notes[g.user], i, i+1)
	}
	s.notesMu.Unlock()
	if i < 0 {
		apiError(w, http.StatusNotFound, "not_found", "no such note")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// findNote returns the index of the user's note id, or -1. A note of
// another user is not found: the API never says it exists.
func (s *Server) findNote(user, id string) int {
	return slices.IndexFunc(s.notes[user], func(n note) bool { return n.ID == id })
}
