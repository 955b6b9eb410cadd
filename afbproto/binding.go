package afbproto

import (
	"errors"
	"fmt"
	"strings"
)

// SessionFlags are the session requirements of a verb, with the values of
// the V2/V3 binding API (spec §3.4). Any non-zero flag makes the framework
// check the token before the verb runs.
type SessionFlags uint8

const (
	SessionLOA1    SessionFlags = 1  // LOA >= 1
	SessionLOA2    SessionFlags = 2  // LOA >= 2
	SessionLOA3    SessionFlags = 3  // LOA >= 3
	SessionCheck   SessionFlags = 4  // the token must be valid
	SessionRefresh SessionFlags = 8  // then a new token is issued and returned
	SessionClose   SessionFlags = 16 // after the reply, LOA <- 0 and the per-api contexts are dropped

	sessionLOAMask SessionFlags = 3
)

// LOA returns the level of assurance f requires (0-3).
func (f SessionFlags) LOA() int { return int(f & sessionLOAMask) }

// Handler handles one call of a verb. It must answer with exactly one of
// Request.Reply or Request.Fail, before returning or later if it called
// Request.Async first.
type Handler func(*Request)

// Verb is one verb of an API.
type Verb struct {
	Name    string       // matched case-insensitively; may contain '/'
	Info    string       // one line for humans (listed by hello/info)
	Session SessionFlags // checks run before Handler
	Handler Handler
}

// API is a named set of verbs, what afb-daemon calls a binding.
type API struct {
	Name  string // matched case-insensitively; no '/'
	Info  string
	Verbs []Verb
}

// Errors of the bindings API.
var (
	ErrAPIExists      = errors.New("afbproto: api already registered")
	ErrInvalidName    = errors.New("afbproto: bad api, verb or event name")
	ErrAlreadyReplied = errors.New("afbproto: request already replied")
	ErrNoListener     = errors.New("afbproto: subscription needs a WebSocket connection")
	ErrNotValidated   = errors.New("afbproto: the request's token was not validated")
	ErrBadLOA         = errors.New("afbproto: LOA out of range 0-7")
	ErrEventClosed    = errors.New("afbproto: event closed")
)

// apiEntry is a registered API, indexed for case-insensitive lookup.
type apiEntry struct {
	name  string
	info  string
	verbs map[string]*Verb // lowercase name -> verb
	order []*Verb
}

func newAPIEntry(a API) (*apiEntry, error) {
	if a.Name == "" || strings.ContainsRune(a.Name, '/') || !validStringBody([]byte(a.Name)) {
		return nil, fmt.Errorf("%w: api %q", ErrInvalidName, a.Name)
	}
	e := &apiEntry{name: a.Name, info: a.Info, verbs: make(map[string]*Verb, len(a.Verbs))}
	for i := range a.Verbs {
		v := a.Verbs[i]
		key := strings.ToLower(v.Name)
		if v.Name == "" || v.Handler == nil || e.verbs[key] != nil {
			return nil, fmt.Errorf("%w: verb %q of api %q (empty, duplicate or without handler)", ErrInvalidName, v.Name, a.Name)
		}
		e.verbs[key] = &v
		e.order = append(e.order, &v)
	}
	return e, nil
}
