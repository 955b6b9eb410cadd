package afbproto_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/appwire/appwire/afbproto"
)

func newHTTP(t testing.TB, url string, opts afbproto.ClientOptions) *afbproto.HTTPClient {
	t.Helper()
	c, err := afbproto.NewHTTPClient(url, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestHTTPArgs(t *testing.T) {
	b := startBinder(t, afbproto.Options{Token: afbproto.AnyToken()})
	c := newHTTP(t, b.url, afbproto.ClientOptions{})
	for _, tc := range []struct {
		args any
		want string
	}{
		{map[string]string{"a": "1"}, `{"a":"1"}`},
		{url.Values{"a": {"1", "2"}, "b": {""}}, `{"a":"2","b":""}`},
		{json.RawMessage(`[1,{"x":null}]`), `[1,{"x":null}]`},
		{struct {
			N int `json:"n"`
		}{7}, `{"n":7}`},
		{"text", `"text"`},
	} {
		r := mustCall(t, c, "hello", "echo", tc.args)
		if string(r.Response) != tc.want {
			t.Errorf("args %v: response %s, want %s", tc.args, r.Response, tc.want)
		}
	}
}

// Spec §3.5 over HTTP, with the token and uuid tracked by the client:
// connect → T1, check (T1 sent automatically), refresh → T2, check(T1)
// denied, check(T2) fine.
func TestHTTPTokenRefresh(t *testing.T) {
	b := startBinder(t, afbproto.Options{Token: afbproto.FixedToken("HELLO")})
	c := newHTTP(t, b.url, afbproto.ClientOptions{Token: "HELLO"})
	r := mustCall(t, c, "auth", "connect", nil)
	t1 := c.Token()
	if t1 == "HELLO" || t1 != r.Token || c.UUID() == "" || c.UUID() != r.UUID {
		t.Fatalf("after connect: Token %q UUID %q, reply %+v", t1, c.UUID(), r)
	}
	mustCall(t, c, "auth", "check", nil)
	mustCall(t, c, "auth", "refresh", nil)
	t2 := c.Token()
	if t2 == t1 {
		t.Fatal("refresh did not change the tracked token")
	}
	_, err := c.Call(testCtx(t), "auth", "check", nil, afbproto.WithToken(t1))
	var ce *afbproto.CallError
	if !errors.As(err, &ce) || ce.Status != afbproto.StatusDenied || ce.HTTPStatus != 200 {
		t.Fatalf("check(T1): %v", err)
	}
	mustCall(t, c, "auth", "check", nil)
	// The session is the same all along.
	var s struct{ UUID string }
	if err := json.Unmarshal(mustCall(t, c, "hello", "session", nil).Response, &s); err != nil || s.UUID != c.UUID() {
		t.Errorf("hello/session uuid %q, tracked %q", s.UUID, c.UUID())
	}
}

// The uuid is also picked up from the x-afb-uuid-<PORT> cookie alone.
func TestHTTPUUIDFromCookie(t *testing.T) {
	u := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("x-afb-uuid") == "" {
			w.Header().Add("Set-Cookie", "x-afb-uuid-1234=from-cookie; Path=/api; HttpOnly")
		}
		w.Write([]byte(`{"jtype":"afb-reply","request":{"status":"success","info":"` + r.Header.Get("x-afb-uuid") + `"}}`))
	}), nil)
	c := newHTTP(t, u+"/api", afbproto.ClientOptions{})
	mustCall(t, c, "a", "b", nil)
	if r := mustCall(t, c, "a", "b", nil); c.UUID() != "from-cookie" || r.Info != "from-cookie" {
		t.Errorf("UUID %q; server saw %q", c.UUID(), r.Info)
	}
}

// AGL-final and libafb answer with HTTP error codes; each maps to a
// typed error.
func TestHTTPStatusMapping(t *testing.T) {
	var mu sync.Mutex
	status, body := 0, ""
	u := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.WriteHeader(status)
		w.Write([]byte(body))
	}), nil)
	c := newHTTP(t, u+"/api", afbproto.ClientOptions{MaxMessageSize: 100})
	for _, tc := range []struct {
		status int
		body   string
		check  func(error) bool
	}{
		{401, `{"jtype":"afb-reply","request":{"status":"invalid-token","info":"invalid token","code":-1}}`, func(err error) bool {
			var ce *afbproto.CallError
			return errors.As(err, &ce) && ce.Status == afbproto.StatusInvalidToken && ce.HTTPStatus == 401 && ce.Reply.Code == -1
		}},
		{403, `{"jtype":"afb-reply","request":{"status":"insufficient-scope","info":"invalid LOA"}}`, func(err error) bool {
			var ce *afbproto.CallError
			return errors.As(err, &ce) && ce.Status == afbproto.StatusInsufficientScope && afbproto.HTTPStatus(err) == 403
		}},
		{404, ``, func(err error) bool {
			var he *afbproto.HTTPError
			return errors.As(err, &he) && he.StatusCode == 404 && afbproto.HTTPStatus(err) == 404
		}},
		{500, `oops`, func(err error) bool {
			var he *afbproto.HTTPError
			return errors.As(err, &he) && he.StatusCode == 500 && string(he.Body) == "oops"
		}},
		{200, `not json`, func(err error) bool { return errors.Is(err, afbproto.ErrServerProtocol) }},
		{200, `{"jtype":"afb-reply"}`, func(err error) bool { return errors.Is(err, afbproto.ErrServerProtocol) }},
		{200, strings.Repeat(" ", 101), func(err error) bool { return errors.Is(err, afbproto.ErrTooLarge) }},
	} {
		mu.Lock()
		status, body = tc.status, tc.body
		mu.Unlock()
		_, err := c.Call(testCtx(t), "api", "verb", nil)
		if !tc.check(err) {
			t.Errorf("HTTP %d %.20q: error %v", tc.status, tc.body, err)
		}
	}
}

func TestHTTPUnreachable(t *testing.T) {
	u := serve(t, http.NotFoundHandler(), nil)
	c := newHTTP(t, u+"/api", afbproto.ClientOptions{})
	ctx := testCtx(t)
	_, err := c.Call(ctx, "a", "b", nil)
	if afbproto.HTTPStatus(err) != 404 {
		t.Fatalf("err %v", err)
	}
	if _, err := afbproto.NewHTTPClient("ftp://x/api", afbproto.ClientOptions{}); err == nil {
		t.Error("ftp URL accepted")
	}
}

// AGL-final and libafb binders answer a token failure with 401 and the
// reply in the body; the client maps it to a *CallError carrying both.
func TestHTTPDialect401(t *testing.T) {
	for _, d := range []afbproto.Dialect{afbproto.DialectAGLFinal, afbproto.DialectLibafb} {
		b := startBinder(t, afbproto.Options{Dialect: d, TokenValidator: func(tok string) bool { return tok == "good" }})
		c := newHTTP(t, b.url, afbproto.ClientOptions{Token: "bad"})
		_, err := c.Call(testCtx(t), "auth", "check", nil)
		var ce *afbproto.CallError
		if !errors.As(err, &ce) || ce.HTTPStatus != http.StatusUnauthorized || ce.Status != afbproto.StatusInvalidToken {
			t.Errorf("%v: auth/check with a bad token: %v", d, err)
		}
		r, err := c.Call(testCtx(t), "hello", "ping", nil, afbproto.WithToken("good"))
		if err != nil || !r.OK() {
			t.Errorf("%v: hello/ping: %v", d, err)
		}
	}
}
