package afbproto

import (
	"context"
	"encoding/json"
	"errors"
	"sync/atomic"
)

// Request is one call of a verb, over HTTP or WebSocket. Its methods are
// safe for concurrent use.
type Request struct {
	b         *Binder
	ctx       context.Context
	api, verb string // as registered
	args      json.RawMessage
	sess      *session
	validated bool        // the token passed a check for this request
	conn      *wsConn     // nil over HTTP
	hvals     *httpValues // over HTTP: what Value reads

	state     atomic.Int32       // reqPending, reqAsync, reqReplied
	finishFn  func(*Reply, bool) // transport-specific delivery
	newToken  string             // set by a refresh before the handler runs
	closing   bool               // SessionClose: apply after the reply
	cancelCtx context.CancelFunc
}

const (
	reqPending int32 = iota
	reqAsync
	reqReplied
)

// Context is cancelled when the call is answered, timed out, or its
// connection goes away.
func (r *Request) Context() context.Context { return r.ctx }

// Binder returns the binder serving the request, to create events.
func (r *Request) Binder() *Binder { return r.b }

// API returns the api name as registered.
func (r *Request) API() string { return r.api }

// Verb returns the verb name as registered.
func (r *Request) Verb() string { return r.verb }

// Args returns the call arguments: over HTTP the object built from the
// query string and form fields (all values strings) or the JSON body; over
// WebSocket the third element of the call frame. Do not modify it.
func (r *Request) Args() json.RawMessage { return r.args }

// Value returns the argument name (afb_req_value). Over HTTP, as upstream,
// it reads only the form fields and then the query string (a parameter
// without '=' has no value): a JSON body becomes Args and nothing else.
// Over WebSocket it reads the args object: a string member as a Go string,
// any other non-null member as its JSON text. ok is false when there is no
// such value.
func (r *Request) Value(name string) (v string, ok bool) {
	if r.hvals != nil {
		return r.hvals.value(name)
	}
	eachMember(r.args, func(key, val []byte) bool {
		if !keyIs(key, name) {
			return true
		}
		if isNull(val) {
			v, ok = "", false
			return true
		}
		if s, isStr := jsonString(val); isStr {
			v, ok = s, true
		} else {
			v, ok = string(val), true
		}
		return true // the last member of that name wins
	})
	return v, ok
}

// Subcall calls api/verb inside the binder on behalf of r (upstream's
// afb_req_subcall) and waits for its reply. The callee runs in r's session
// with its token counted as validated, and an event it subscribes goes to
// r's WebSocket connection. A framework failure (unknown api or verb,
// LOA) comes back as the Reply's status; the error is ctx's.
func (r *Request) Subcall(ctx context.Context, api, verb string, args json.RawMessage) (*Reply, error) {
	done := make(chan *Reply, 1)
	r.b.dispatch(ctx, call{api: api, verb: verb, args: args, sess: r.sess, tokenOK: true, conn: r.conn,
		finish: func(rep *Reply, _ bool) { done <- rep }})
	select {
	case rep := <-done:
		return rep, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// IsWebSocket reports whether the call came over a WebSocket connection.
func (r *Request) IsWebSocket() bool { return r.conn != nil }

// SessionUUID returns the session id.
func (r *Request) SessionUUID() string { return r.sess.uuid }

// LOA returns the session's level of assurance.
func (r *Request) LOA() int {
	r.sess.mu.Lock()
	defer r.sess.mu.Unlock()
	return r.sess.loa
}

// SetLOA sets the session's level of assurance (0-7). As upstream, only a
// request whose token was validated may do so: the verb needs a session
// flag, or the WebSocket call no token of its own.
func (r *Request) SetLOA(loa int) error {
	if loa < 0 || loa > 7 {
		return ErrBadLOA
	}
	if !r.validated {
		return ErrNotValidated
	}
	r.sess.mu.Lock()
	r.sess.loa = loa
	r.sess.mu.Unlock()
	return nil
}

// SessionData returns the value this api stored in the session, or nil.
func (r *Request) SessionData() any {
	r.sess.mu.Lock()
	defer r.sess.mu.Unlock()
	return r.sess.data[r.api]
}

// SetSessionData stores v for this api in the session; nil deletes.
func (r *Request) SetSessionData(v any) {
	r.sess.mu.Lock()
	defer r.sess.mu.Unlock()
	if v == nil {
		delete(r.sess.data, r.api)
		return
	}
	if r.sess.data == nil {
		r.sess.data = make(map[string]any)
	}
	r.sess.data[r.api] = v
}

// Subscribe attaches the request's WebSocket connection to ev. Over HTTP
// it fails with ErrNoListener, as upstream.
func (r *Request) Subscribe(ev *Event) error {
	if r.conn == nil {
		return ErrNoListener
	}
	return ev.subscribe(r.conn)
}

// Unsubscribe detaches the request's WebSocket connection from ev. Over
// HTTP it fails with ErrNoListener.
func (r *Request) Unsubscribe(ev *Event) error {
	if r.conn == nil {
		return ErrNoListener
	}
	ev.unsubscribe(r.conn)
	return nil
}

// Async declares that the handler will reply after it returns, from
// another goroutine. Without it, returning without a reply answers the
// call with an error (internal-error, or not-replied in the AGL-final and
// libafb dialects). An async call not answered within Options.APITimeout
// is answered "aborted".
func (r *Request) Async() { r.state.CompareAndSwap(reqPending, reqAsync) }

// Reply answers the call with success. response is marshalled with
// encoding/json (a json.RawMessage is used as is; nil gives no response
// member). info may be empty. It returns ErrAlreadyReplied on a second
// answer, and a marshalling error after answering internal-error.
func (r *Request) Reply(response any, info string) error {
	raw, err := marshalData(response)
	if err != nil {
		if r.finish(&Reply{Status: StatusInternalError, Info: "unserialisable response"}) {
			return err
		}
		return ErrAlreadyReplied
	}
	if !r.finish(&Reply{Response: raw, Status: StatusSuccess, Info: info}) {
		return ErrAlreadyReplied
	}
	return nil
}

// Fail answers the call with an error status (StatusFailed when status is
// empty or "success") and optional info.
func (r *Request) Fail(status, info string) error {
	if status == "" || status == StatusSuccess {
		status = StatusFailed
	}
	if !r.finish(&Reply{Status: status, Info: info}) {
		return ErrAlreadyReplied
	}
	return nil
}

// finish delivers the first answer and reports whether rep was it.
func (r *Request) finish(rep *Reply) bool {
	for {
		s := r.state.Load()
		if s == reqReplied {
			return false
		}
		if r.state.CompareAndSwap(s, reqReplied) {
			break
		}
	}
	rep.Token = r.newToken
	r.finishFn(rep, r.closing)
	if r.closing {
		r.sess.mu.Lock()
		r.sess.loa = 0
		r.sess.data = nil
		r.sess.mu.Unlock()
		if r.b.opts.Dialect == DialectV1 {
			r.b.sess.destroy(r.sess)
		}
	}
	r.cancelCtx()
	return true
}

var errInvalidRaw = errors.New("afbproto: json.RawMessage is not valid JSON")

func marshalData(v any) (json.RawMessage, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case json.RawMessage:
		if len(v) > 0 && !json.Valid(v) {
			return nil, errInvalidRaw
		}
		return v, nil
	}
	return json.Marshal(v)
}
