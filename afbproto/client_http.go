package afbproto

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// HTTPClient calls the verbs of a binder over its HTTP API
// (/api/<api>/<verb>, spec §1), keeping one session: the session uuid
// (request.uuid or the x-afb-uuid-<PORT> cookie) and the token (every
// refreshed request.token) are tracked and sent with each call in the
// x-afb-uuid and x-afb-token headers. Safe for concurrent use.
type HTTPClient struct {
	base string // API root without a trailing slash
	opts ClientOptions
	hc   *http.Client
	own  *http.Transport // nil when opts.HTTPClient was given
	sess sessionState
}

// NewHTTPClient returns a client for the binder whose API root is baseURL,
// e.g. "http://127.0.0.1:1234/api".
func NewHTTPClient(baseURL string, opts ClientOptions) (*HTTPClient, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("afbproto: bad URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("afbproto: bad URL scheme %q: want http or https", u.Scheme)
	}
	opts = opts.withDefaults()
	c := &HTTPClient{base: strings.TrimRight(u.String(), "/"), opts: opts, hc: opts.HTTPClient}
	if c.hc == nil {
		c.own = http.DefaultTransport.(*http.Transport).Clone()
		c.hc = &http.Client{Transport: c.own}
	}
	c.sess.learn(opts.Token, opts.UUID)
	return c, nil
}

// Token returns the token sent with calls: ClientOptions.Token until a
// reply hands out a refreshed one.
func (c *HTTPClient) Token() string { t, _ := c.sess.get(); return t }

// UUID returns the session uuid sent with calls: ClientOptions.UUID, or
// the one the server reported.
func (c *HTTPClient) UUID() string { _, u := c.sess.get(); return u }

// Close releases the idle connections of the client's own transport. The
// client remains usable.
func (c *HTTPClient) Close() error {
	if c.own != nil {
		c.own.CloseIdleConnections()
	}
	return nil
}

// Call calls api/verb and returns the reply when its status is success.
//
// How args is sent: nil gives a GET without arguments; url.Values or
// map[string]string a GET with those query arguments (the binder sees
// each as a JSON string); anything else a POST with an application/json
// body: a json.RawMessage or []byte as is (it must be valid JSON), other
// values through json.Marshal.
//
// A reply whose status is not success gives a *CallError holding it,
// with the HTTP status (AGL-final and libafb answer 401 invalid-token,
// 403 insufficient-scope, libafb 404 unknown-api/unknown-verb, each with
// the reply in the body). A non-200 answer without an afb-reply body
// gives a *HTTPError; a body over ClientOptions.MaxMessageSize
// ErrTooLarge; a 200 answer that is not an afb-reply ErrServerProtocol.
func (c *HTTPClient) Call(ctx context.Context, api, verb string, args any, opts ...CallOption) (*Reply, error) {
	if err := checkName(api, verb); err != nil {
		return nil, err
	}
	req, err := c.request(ctx, api, verb, args)
	if err != nil {
		return nil, err
	}
	cfg := applyCallOptions(opts)
	tok, uuid := c.sess.get()
	if cfg.hasToken {
		tok = cfg.token
	}
	if tok != "" {
		req.Header.Set("X-Afb-Token", tok)
	}
	if uuid != "" {
		req.Header.Set("X-Afb-Uuid", uuid)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("afbproto: %s/%s: %w", api, verb, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.opts.MaxMessageSize+1))
	if err != nil {
		return nil, fmt.Errorf("afbproto: %s/%s: reading the reply: %w", api, verb, err)
	}
	if int64(len(body)) > c.opts.MaxMessageSize {
		return nil, fmt.Errorf("%w: reply of %s/%s over %d bytes", ErrTooLarge, api, verb, c.opts.MaxMessageSize)
	}
	c.sess.learn("", cookieUUID(resp.Header))
	r := new(Reply)
	if perr := ParseReply(body, r); perr != nil {
		if resp.StatusCode != http.StatusOK {
			return nil, &HTTPError{StatusCode: resp.StatusCode, Body: body}
		}
		return nil, fmt.Errorf("%w: %w", ErrServerProtocol, perr)
	}
	c.sess.learn(r.Token, r.UUID)
	return replyResult(r, resp.StatusCode)
}

// request builds the GET or POST of a call (see Call).
func (c *HTTPClient) request(ctx context.Context, api, verb string, args any) (*http.Request, error) {
	u := c.base + "/" + url.PathEscape(api) + "/" + url.PathEscape(verb)
	var q url.Values
	switch a := args.(type) {
	case nil:
	case url.Values:
		q = a
	case map[string]string:
		q = make(url.Values, len(a))
		for k, v := range a {
			q.Set(k, v)
		}
	default:
		raw, err := encodeArgs(args)
		if err != nil {
			return nil, err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("afbproto: %w", err)
		}
		req.Header.Set("Content-Type", "application/json")
		c.addHeaders(req)
		return req, nil
	}
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("afbproto: %w", err)
	}
	c.addHeaders(req)
	return req, nil
}

func (c *HTTPClient) addHeaders(req *http.Request) {
	for k, v := range c.opts.Header {
		req.Header[k] = v
	}
}
