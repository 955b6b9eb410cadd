package mobile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"strings"
	"sync/atomic"
	"time"

	"github.com/appwire/appwire/httpipc"
)

// DefaultMaxResponseBytes bounds a response body buffered by Do.
const DefaultMaxResponseBytes = 8 << 20

// ErrResponseTooLarge: a response body exceeded SetMaxResponseBytes.
var ErrResponseTooLarge = errors.New("mobile: response body too large")

// Client sends HTTP requests to a server app over one connection whose
// messages the platform carries. Requests may run concurrently.
type Client struct {
	mc      *msgConn
	tr      *httpipc.Transport
	timeout atomic.Int64 // nanoseconds; 0: none
	maxBody atomic.Int64
}

// NewClient returns a client sending through s; the platform passes the
// server's messages to Receive. maxMessageSize 0 means
// DefaultMaxMessageSize.
func NewClient(s Sender, maxMessageSize int) *Client {
	mc := newMsgConn(s, maxMessageSize)
	c := &Client{mc: mc}
	c.maxBody.Store(DefaultMaxResponseBytes)
	c.tr = &httpipc.Transport{DialMessage: func(context.Context) (httpipc.MessageConn, error) {
		select {
		case <-mc.done:
			return nil, ErrClosed // one connection: a lost one is not redialed
		default:
			return mc, nil
		}
	}}
	return c
}

// Receive hands the client one message from the server.
func (c *Client) Receive(msg []byte) error { return c.mc.receive(msg) }

// SetTimeout bounds each Do, in milliseconds; 0 means no limit.
func (c *Client) SetTimeout(millis int64) { c.timeout.Store(millis * int64(time.Millisecond)) }

// SetMaxResponseBytes bounds the body Do buffers; 0 means the default.
func (c *Client) SetMaxResponseBytes(n int64) {
	if n <= 0 {
		n = DefaultMaxResponseBytes
	}
	c.maxBody.Store(n)
}

// Do sends one request. url may be a path ("/api/me") or an absolute URL
// whose host names the resource; header is "Name: value" lines separated
// by "\n" (or empty); body may be nil. A transport failure is an error,
// never a made-up response.
func (c *Client) Do(method, url, header string, body []byte) (*Response, error) {
	ctx := context.Background()
	if d := time.Duration(c.timeout.Load()); d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	if strings.HasPrefix(url, "/") {
		url = "http://" + httpipc.DefaultHost + url
	}
	var rd io.Reader
	if len(body) > 0 {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, err
	}
	if err := parseHeader(req.Header, header); err != nil {
		return nil, err
	}
	if h := req.Header.Get("Host"); h != "" {
		req.Host = h
		req.Header.Del("Host")
	}
	resp, err := c.tr.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	max := c.maxBody.Load()
	b, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, ErrResponseTooLarge
	}
	return &Response{status: resp.StatusCode, header: resp.Header, trailer: resp.Trailer, body: b}, nil
}

func parseHeader(h http.Header, lines string) error {
	for _, line := range strings.Split(lines, "\n") {
		line = strings.TrimSuffix(line, "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			return fmt.Errorf("mobile: header line %q: want \"Name: value\"", line)
		}
		h.Add(k, textproto.TrimString(v))
	}
	return nil
}

// Close ends the connection; requests in flight fail.
func (c *Client) Close() error {
	c.mc.Close()
	return c.tr.Close()
}

// Response is a buffered HTTP response.
type Response struct {
	status  int
	header  http.Header
	trailer http.Header
	body    []byte
}

// Status returns the status code.
func (r *Response) Status() int { return r.status }

// Header returns the response header field name's values joined by ", ",
// or "".
func (r *Response) Header(name string) string { return strings.Join(r.header.Values(name), ", ") }

// Trailer is Header for the trailer fields.
func (r *Response) Trailer(name string) string { return strings.Join(r.trailer.Values(name), ", ") }

// HeaderLines returns every header field as "Name: value" lines, each
// ending in "\n", in sorted order.
func (r *Response) HeaderLines() string {
	var sb strings.Builder
	r.header.Write(&sb)
	return strings.ReplaceAll(sb.String(), "\r\n", "\n")
}

// Body returns the response content.
func (r *Response) Body() []byte { return r.body }
