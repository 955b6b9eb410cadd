package spsuite

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/appwire/appwire/conformance"
	"github.com/appwire/appwire/conformance/kit"
)

// The app-server side: requests to pushEndpoint URLs.

// endpointURL applies the endpoint parameter (a base replacing scheme and
// host) to a pushEndpoint.
func endpointURL(t *conformance.T, ep string) string {
	u, err := url.Parse(ep)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		t.Failf("pushEndpoint is an absolute http(s) URL", "pushEndpoint %q", ep)
	}
	if base := t.Param(ParamEndpoint); base != "" {
		b, err := url.Parse(base)
		if err != nil || b.Host == "" {
			t.Errorf("the %s parameter %q is not a URL like https://push.example.com", ParamEndpoint, base)
		}
		u.Scheme, u.Host = b.Scheme, b.Host
	}
	return u.String()
}

// token returns the last path segment of a pushEndpoint.
func token(ep string) string {
	u, err := url.Parse(ep)
	if err != nil {
		return ep
	}
	p := strings.TrimRight(u.Path, "/")
	return p[strings.LastIndexByte(p, '/')+1:]
}

// withToken returns ep with its last path segment replaced by tok.
func withToken(ep, tok string) string {
	u, err := url.Parse(ep)
	if err != nil {
		return ep
	}
	p := strings.TrimRight(u.Path, "/")
	u.Path = p[:strings.LastIndexByte(p, '/')+1] + tok
	u.RawPath = ""
	return u.String()
}

// response is one endpoint answer, body read (bounded).
type response = kit.Response

// putReq is one request to an endpoint.
type putReq struct {
	Method string // "" is PUT
	URL    string // a pushEndpoint as handed out
	Body   string // form-encoded
	// Type is the Content-Type; "" sends
	// application/x-www-form-urlencoded, "-" sends none.
	Type string
}

// send makes one request on a fresh connection (kit.Do: an unreachable
// endpoint is an Error, no valid HTTP answer a Fail).
func send(ctx context.Context, t *conformance.T, r putReq) *response {
	method := r.Method
	if method == "" {
		method = http.MethodPut
	}
	var body []byte
	if r.Body != "" || method == http.MethodPut {
		body = []byte(r.Body)
	}
	h := http.Header{}
	switch r.Type {
	case "":
		h.Set("Content-Type", "application/x-www-form-urlencoded")
	case "-":
	default:
		h.Set("Content-Type", r.Type)
	}
	return kit.Do(ctx, t, kit.Request{Method: method, URL: endpointURL(t, r.URL), Header: h, Body: body, MaxBody: maxMessage})
}

// put PUTs a form body to ep and returns the status.
func put(ctx context.Context, t *conformance.T, ep, body string) int {
	return send(ctx, t, putReq{URL: ep, Body: body}).Status
}

// expectPut PUTs body and fails unless the status is one of want.
func expectPut(ctx context.Context, t *conformance.T, ep, body, expect string, want ...int) *response {
	r := send(ctx, t, putReq{URL: ep, Body: body})
	r.ExpectStatus(t, expect, want...)
	return r
}
