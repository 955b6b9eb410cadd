package afbproto

import (
	"errors"
	"net"
	"net/http"
	"strconv"
	"time"
)

// inputs are the session inputs of one HTTP request (spec §1.3).
type inputs struct {
	uuid, token, reqid string
}

func (b *Binder) readInputs(r *http.Request, a *httpArgs) inputs {
	var in inputs
	if in.uuid = r.Header.Get("x-afb-uuid"); in.uuid == "" {
		if in.uuid = a.arg("x-afb-uuid"); in.uuid == "" {
			if c, err := r.Cookie(b.cookieName(r)); err == nil {
				in.uuid = c.Value
			}
			if in.uuid == "" {
				in.uuid = a.arg("uuid")
			}
		}
	}
	if b.opts.Dialect.tokenIsPermission() {
		// AGL-final and libafb look at OAuth's places first.
		if in.token = bearer(r.Header); in.token == "" {
			in.token = a.arg("access_token")
		}
	}
	if in.token == "" {
		if in.token = r.Header.Get("x-afb-token"); in.token == "" {
			if in.token = a.arg("x-afb-token"); in.token == "" {
				in.token = a.arg("token")
			}
		}
	}
	if in.reqid = a.arg("x-afb-reqid"); in.reqid == "" {
		in.reqid = a.arg("reqid")
	}
	return in
}

// cookieName is x-afb-uuid-<PORT> (spec §1.4).
func (b *Binder) cookieName(r *http.Request) string {
	port := b.opts.CookiePort
	if port == 0 {
		if a, ok := r.Context().Value(http.LocalAddrContextKey).(*net.TCPAddr); ok {
			port = a.Port
		}
	}
	return "x-afb-uuid-" + strconv.Itoa(port)
}

// setCookie adds the session cookie in upstream's exact form: Max-Age is
// the session timeout (fixed 3600 in V1-2016), and libafb adds SameSite.
func (b *Binder) setCookie(h http.Header, r *http.Request, uuid string) {
	maxAge := int64(b.opts.SessionTimeout / time.Second)
	if b.opts.Dialect == DialectV1 {
		maxAge = v1CookieMaxAge
	}
	c := b.cookieName(r) + "=" + uuid + "; Path=" + b.opts.RootAPI +
		"; Max-Age=" + strconv.FormatInt(maxAge, 10) + "; HttpOnly"
	if b.opts.Dialect == DialectLibafb {
		c += "; SameSite=Lax;"
	}
	h.Add("Set-Cookie", c)
}

// v1CookieMaxAge is the cookie lifetime V1-2016 announces whatever its
// session timeout.
const v1CookieMaxAge = 3600

// session looks up or creates the request's session; on failure it has
// written 500.
func (b *Binder) session(w http.ResponseWriter, in inputs) (*session, bool, bool) {
	s, created, err := b.sess.get(in.uuid, time.Now())
	if err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		return nil, false, false
	}
	return s, created, true
}

// serveCall handles /api/<api>/<verb>.
func (b *Binder) serveCall(w http.ResponseWriter, r *http.Request, api, verb string) {
	var a httpArgs
	defer a.cleanup()
	a.parseQuery(r.URL.RawQuery)
	if r.Method == http.MethodPost {
		if err := a.parseBody(r, b.opts.MaxMessageSize, b.opts.TempDir); err != nil {
			switch {
			case errors.Is(err, errMediaType):
				w.WriteHeader(http.StatusUnsupportedMediaType)
			case errors.Is(err, errTooLarge):
				w.WriteHeader(http.StatusRequestEntityTooLarge)
			case errors.Is(err, errBadBody):
				w.WriteHeader(http.StatusBadRequest)
			default:
				w.WriteHeader(http.StatusInternalServerError)
			}
			return
		}
	}
	in := b.readInputs(r, &a)
	s, created, ok := b.session(w, in)
	if !ok {
		return
	}
	type answer struct {
		rep     *Reply
		closing bool
	}
	done := make(chan answer, 1)
	b.dispatch(r.Context(), call{
		api: api, verb: verb, args: a.object(), sess: s, hvals: a.values(),
		tokenOK: b.tokenValid(s, in.token),
		finish:  func(rep *Reply, closing bool) { done <- answer{rep, closing} },
	})
	ans := <-done
	rep, closing := ans.rep, ans.closing
	rep.ReqID = in.reqid
	d := b.opts.Dialect
	sendUUID := created && !closing
	if sendUUID && d.sendsBack() {
		rep.UUID = s.uuid
	}
	h := w.Header()
	h["Content-Type"] = nil // upstream sends none; stop net/http sniffing one
	if sendUUID || d.tokenIsPermission() {
		b.setCookie(h, r, s.uuid) // AGL-final: on every reply
	}
	code, auth := httpStatus(d, rep.Status)
	if auth != "" {
		h.Set("WWW-Authenticate", auth)
	}
	buf := b.appendReply(make([]byte, 0, 256+len(rep.Response)), rep)
	h.Set("Content-Length", strconv.Itoa(len(buf)))
	w.WriteHeader(code)
	w.Write(buf)
}
