package kit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/appwire/appwire/conformance"
)

// Request is one HTTP request to the target.
type Request struct {
	Method string // "" is GET
	URL    string // absolute
	// Header holds the request headers, sent as given.
	Header http.Header
	// Body is sent when not nil (an empty, non-nil body sends
	// Content-Length: 0).
	Body []byte
	// MaxBody bounds what is read of the response body; 0 means
	// MaxMessage.
	MaxBody int64
}

// Response is one HTTP response with its body read (bounded).
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends req on a fresh connection (no keep-alive, no redirects
// followed, no compression asked for) and reads the response. It ends the
// case with Error when the target cannot be reached and with Fail when it
// accepted the connection but gave no valid HTTP response in time.
func Do(ctx context.Context, t *conformance.T, req Request) *Response {
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if req.Body != nil {
		body = bytes.NewReader(req.Body)
	}
	hr, err := http.NewRequestWithContext(ctx, method, req.URL, body)
	t.Check(err, "building the request")
	for k, v := range req.Header {
		hr.Header[k] = v
	}
	d := &connTracker{}
	client := &http.Client{
		Transport: &http.Transport{DialContext: d.dial, DisableKeepAlives: true, DisableCompression: true},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	defer client.CloseIdleConnections()
	line := method + " " + hr.URL.String() + headerNote(req.Header)
	if req.Body != nil {
		line += " " + string(req.Body)
	}
	t.Sent("%s", line)
	resp, err := client.Do(hr)
	if err != nil {
		if !d.connected() {
			t.Errorf("cannot reach the target: %v", err)
		}
		t.Notef("%v", err)
		if TimedOut(ctx, err) {
			t.Failf("an HTTP response", "no response before the case timeout")
		}
		t.Failf("an HTTP response", "no valid HTTP response: %v", err)
	}
	defer resp.Body.Close()
	// A 101 body is the raw connection, which ctx does not reach.
	stop := context.AfterFunc(ctx, func() { resp.Body.Close() })
	defer stop()
	return readResponse(ctx, t, resp, req.MaxBody)
}

// DoRaw writes raw as is on a fresh TCP connection to addr (host:port) and
// reads one response: for requests net/http will not send (a bad
// WebSocket version, a malformed header). Error and Fail as for Do.
func DoRaw(ctx context.Context, t *conformance.T, addr, raw string) *Response {
	d := &connTracker{}
	c, err := d.dial(ctx, "tcp", addr)
	if err != nil {
		t.Errorf("cannot reach the target: %v", err)
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	t.Sent("%s", strings.ReplaceAll(strings.TrimSpace(raw), "\r\n", " | "))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Failf("an HTTP response", "writing the request failed: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(io.LimitReader(c, MaxMessage)), nil)
	if err != nil {
		if TimedOut(ctx, err) {
			t.Failf("an HTTP response", "no response before the case timeout")
		}
		t.Failf("an HTTP response", "no valid HTTP response: %v", err)
	}
	defer resp.Body.Close()
	return readResponse(ctx, t, resp, 0)
}

func readResponse(ctx context.Context, t *conformance.T, resp *http.Response, limit int64) *Response {
	if limit <= 0 {
		limit = MaxMessage
	}
	var (
		b   []byte
		err error
	)
	if resp.StatusCode != http.StatusSwitchingProtocols {
		b, err = io.ReadAll(io.LimitReader(resp.Body, limit))
	}
	t.Received("HTTP %d%s %s", resp.StatusCode,
		headerNote(http.Header{"Set-Cookie": resp.Header.Values("Set-Cookie"), "Location": resp.Header.Values("Location")}), b)
	if err != nil {
		if TimedOut(ctx, err) {
			t.Failf("a complete response body", "the body was still arriving at the case timeout")
		}
		t.Failf("a complete response body", "reading the body failed: %v", err)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// Brief is the response for an "actual" line.
func (r *Response) Brief() string { return fmt.Sprintf("HTTP %d %.200q", r.Status, r.Body) }

// Cookie returns the Set-Cookie for name, or nil.
func (r *Response) Cookie(name string) *http.Cookie {
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// ExpectStatus fails the case unless the status is one of want; expect
// says what was expected ("" writes "HTTP <want>").
func (r *Response) ExpectStatus(t *conformance.T, expect string, want ...int) {
	if slices.Contains(want, r.Status) {
		return
	}
	if expect == "" {
		var s []string
		for _, w := range want {
			s = append(s, strconv.Itoa(w)+" "+http.StatusText(w))
		}
		expect = "HTTP " + strings.Join(s, " or ")
	}
	t.Failf(expect, "%s", r.Brief())
}

// ExpectHeader fails the case unless header name has the value want
// (compared as written; "" wants the header absent). A media type is
// compared without its parameters when want has none.
func (r *Response) ExpectHeader(t *conformance.T, name, want string) {
	got, ok := r.Header[http.CanonicalHeaderKey(name)]
	switch {
	case want == "" && !ok:
		return
	case want == "":
		t.Failf("no "+name+" header", "%s: %q", name, strings.Join(got, ", "))
	case !ok:
		t.Failf(name+": "+want, "no %s header", name)
	}
	v := r.Header.Get(name)
	if v == want || (!strings.Contains(want, ";") && strings.EqualFold(name, "Content-Type") &&
		strings.TrimSpace(strings.SplitN(v, ";", 2)[0]) == want) {
		return
	}
	t.Failf(name+": "+want, "%s: %q", name, v)
}

// JSON decodes the body into v; a body that is not that JSON fails the
// case.
func (r *Response) JSON(t *conformance.T, v any) {
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Failf(fmt.Sprintf("a JSON body (%T)", v), "%v: %s", err, r.Brief())
	}
}

// ExpectJSON fails the case unless the body is the same JSON value as
// want (member order and white space aside).
func (r *Response) ExpectJSON(t *conformance.T, want string) {
	if !JSONEqual(r.Body, []byte(want)) {
		t.Failf("the JSON body "+want, "%s", r.Brief())
	}
}
