package spsuite

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/appwire/appwire/conformance"
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
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// putReq is one request to an endpoint.
type putReq struct {
	Method string // "" is PUT
	URL    string // a pushEndpoint as handed out
	Body   string // form-encoded
	// Type is the Content-Type; "" sends
	// application/x-www-form-urlencoded, "-" sends none.
	Type string
}

// send makes one request on a fresh connection. An unreachable endpoint
// is an Error; no valid HTTP answer is a Fail.
func send(ctx context.Context, t *conformance.T, r putReq) *response {
	method := r.Method
	if method == "" {
		method = http.MethodPut
	}
	u := endpointURL(t, r.URL)
	var body io.Reader
	if r.Body != "" || method == http.MethodPut {
		body = strings.NewReader(r.Body)
	}
	hr, err := http.NewRequestWithContext(ctx, method, u, body)
	t.Check(err, "building the request")
	switch r.Type {
	case "":
		hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	case "-":
	default:
		hr.Header.Set("Content-Type", r.Type)
	}
	d := &dialer{}
	client := &http.Client{
		Transport: &http.Transport{DialContext: d.dial, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	defer client.CloseIdleConnections()
	t.Sent("%s %s [Content-Type: %s] %.200s", method, u, hr.Header.Get("Content-Type"), r.Body)
	resp, err := client.Do(hr)
	if err != nil {
		if !d.connected {
			t.Errorf("cannot reach the endpoint: %v", err)
		}
		t.Notef("%v", err)
		t.Failf("an HTTP response from the endpoint", "%v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxMessage))
	t.Received("HTTP %d %.200s", resp.StatusCode, b)
	if err != nil {
		t.Failf("a complete response body", "reading the body failed: %v", err)
	}
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// put PUTs a form body to ep and returns the status.
func put(ctx context.Context, t *conformance.T, ep, body string) int {
	return send(ctx, t, putReq{URL: ep, Body: body}).Status
}

// expectPut PUTs body and fails unless the status is one of want.
func expectPut(ctx context.Context, t *conformance.T, ep, body, expect string, want ...int) *response {
	r := send(ctx, t, putReq{URL: ep, Body: body})
	for _, w := range want {
		if r.Status == w {
			return r
		}
	}
	t.Failf(expect, "HTTP %d %.200s", r.Status, r.Body)
	return nil
}
