package hawk

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// CredentialsFunc looks up the credentials of a Hawk id. For an unknown id
// it returns ErrUnknownCredentials (or an error that Is it); any other
// error is a backend failure that Authenticate returns wrapped, not as a
// Hawk failure (Loop answers it 503).
type CredentialsFunc func(ctx context.Context, id string) (Credentials, error)

// DefaultSkew is the clock skew a timestamp may have either way.
const DefaultSkew = 60 * time.Second

// Options configure a Server. The zero value is usable: ±60 s skew, a
// bounded in-memory nonce cache, the Host header, port 80 (443 on TLS).
type Options struct {
	// Skew is the allowed clock difference either way (default 60 s).
	Skew time.Duration
	// Nonces records (id, ts, nonce) triples to refuse replays. Nil means
	// a MemoryNonceCache of DefaultNonceCacheSize entries.
	Nonces NonceCache
	// NoReplayCheck turns the nonce check off, as loop-server had it (it
	// gave the hawk library no nonce function).
	NoReplayCheck bool
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Host and Port, when set, replace what the request's Host header says
	// (Loop behind a TLS terminator sets Port 443).
	Host string
	Port int
	// HostHeader names the header to read the host from instead of Host
	// (e.g. "X-Forwarded-Host").
	HostHeader string
}

// Server verifies Hawk requests and signs responses. It is safe for
// concurrent use.
type Server struct {
	lookup CredentialsFunc
	opt    Options
}

// NewServer returns a Server that looks credentials up with lookup.
func NewServer(lookup CredentialsFunc, o Options) *Server {
	if o.Skew <= 0 {
		o.Skew = DefaultSkew
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Nonces == nil && !o.NoReplayCheck {
		o.Nonces = NewMemoryNonceCache(0, o.Now)
	}
	return &Server{lookup: lookup, opt: o}
}

// Request is what a server needs from an HTTP request to verify it.
type Request struct {
	Method        string
	Resource      string // request-target: path and query as sent
	Host          string
	Port          int
	Authorization string
	ContentType   string
	// Payload, when CheckPayload is set, is verified against the header's
	// hash (which must then be present).
	Payload      []byte
	CheckPayload bool
}

// Auth is a verified request: the credentials and the artifacts its MAC
// covers. Use it to check the body later (VerifyPayload) and to sign the
// response (ResponseHeader).
type Auth struct {
	Credentials Credentials
	Artifacts   Artifacts
	MAC         string
}

// Authenticate verifies r's Authorization header. It does not read the
// body; call Auth.VerifyPayload once it is read, if the body must match.
// Hawk failures are *Error values (see the Err* sentinels); a lookup
// backend error is returned wrapped.
func (s *Server) Authenticate(ctx context.Context, r *http.Request) (*Auth, error) {
	req, err := s.RequestFromHTTP(r)
	if err != nil {
		return nil, err
	}
	return s.AuthenticateRequest(ctx, req)
}

// RequestFromHTTP takes method, request-target, host, port, Authorization
// and Content-Type from r (Options.Host/Port/HostHeader applied).
func (s *Server) RequestFromHTTP(r *http.Request) (Request, error) {
	req := Request{
		Method:        r.Method,
		Resource:      r.RequestURI,
		Authorization: r.Header.Get("Authorization"),
		ContentType:   r.Header.Get("Content-Type"),
	}
	if req.Resource == "" && r.URL != nil {
		req.Resource = r.URL.RequestURI()
	}
	req.Host, req.Port = s.opt.Host, s.opt.Port
	if req.Host == "" || req.Port == 0 {
		hv := r.Host
		if s.opt.HostHeader != "" {
			hv = r.Header.Get(s.opt.HostHeader)
		}
		name, port, ok := SplitHost(hv, r.TLS != nil)
		if !ok {
			return Request{}, ErrInvalidHost
		}
		if req.Host == "" {
			req.Host = name
		}
		if req.Port == 0 {
			req.Port = port
		}
	}
	return req, nil
}

// SplitHost splits a Host header value into name and port, the port
// defaulting to 80 (443 when tls); an IPv6 name loses its brackets, as the
// hawk client's URL parsing drops them. It refuses an empty or over-long value,
// one with a '/', and a port that is not 1 to 5 digits.
func SplitHost(v string, tls bool) (name string, port int, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" || len(v) > MaxHeaderLen || strings.ContainsAny(v, "/ \t") {
		return "", 0, false
	}
	port = 80
	if tls {
		port = 443
	}
	name = v
	var p string
	if strings.HasPrefix(v, "[") {
		end := strings.IndexByte(v, ']')
		if end < 0 {
			return "", 0, false
		}
		name, p = v[1:end], v[end+1:]
		if p != "" {
			if p[0] != ':' {
				return "", 0, false
			}
			p = p[1:]
		}
	} else if i := strings.LastIndexByte(v, ':'); i >= 0 {
		name, p = v[:i], v[i+1:]
		if strings.IndexByte(name, ':') >= 0 {
			return "", 0, false
		}
	}
	if name == "" {
		return "", 0, false
	}
	if p != "" {
		if len(p) > 5 {
			return "", 0, false
		}
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || p[0] == '+' || p[0] == '-' {
			return "", 0, false
		}
		port = n
	}
	return name, port, true
}

// AuthenticateRequest verifies req, in the hawk library's order: header
// syntax, required attributes, credentials, MAC (constant time), payload
// hash when asked for, then the timestamp (stale: the answer carries the
// server's time and its MAC) and finally the nonce (so only requests that
// are authentic and current fill the replay cache).
func (s *Server) AuthenticateRequest(ctx context.Context, req Request) (*Auth, error) {
	now := s.opt.Now()
	h, err := ParseHeader(req.Authorization)
	if err != nil {
		return nil, err
	}
	if req.Host == "" {
		return nil, ErrInvalidHost
	}
	if h.ID == "" || h.TS == "" || h.Nonce == "" || h.MAC == "" {
		return nil, ErrMissingAttributes
	}
	creds, err := s.lookup(ctx, h.ID)
	if err != nil {
		if errors.Is(err, ErrUnknownCredentials) {
			return nil, ErrUnknownCredentials
		}
		return nil, fmt.Errorf("hawk: credentials lookup: %w", err)
	}
	if err := creds.check(); err != nil {
		return nil, err
	}
	creds.ID = h.ID
	a := &Auth{Credentials: creds, MAC: h.MAC, Artifacts: Artifacts{
		Method: req.Method, Resource: normalizeResource(req.Resource), Host: req.Host, Port: req.Port,
		TS: h.TS, Nonce: h.Nonce, Hash: h.Hash, Ext: h.Ext, App: h.App, Dlg: h.Dlg,
	}}
	var buf [64]byte
	if !equalMAC(macOf(buf[:0], &creds, kindHeader, &a.Artifacts), h.MAC) {
		return nil, ErrBadMAC
	}
	if req.CheckPayload {
		if err := a.VerifyPayload(req.ContentType, req.Payload); err != nil {
			return nil, err
		}
	}
	ts, ok := parseTS(h.TS)
	skew := s.opt.Skew.Milliseconds()
	if d := ts*1000 - now.UnixMilli(); !ok || d > skew || d < -skew {
		e := newErr(ErrStaleTimestamp, "")
		e.TS = now.Unix()
		e.TSM = timestampMAC(&creds, strconv.FormatInt(e.TS, 10))
		return nil, e
	}
	if !s.opt.NoReplayCheck {
		fresh, err := s.opt.Nonces.Add(ctx, h.ID, h.TS, h.Nonce, 2*s.opt.Skew)
		if err != nil {
			return nil, fmt.Errorf("hawk: nonce cache: %w", err)
		}
		if !fresh {
			return nil, ErrInvalidNonce
		}
	}
	return a, nil
}

// parseTS reads a timestamp of 1 to 15 decimal digits. The hawk library
// coerces with JavaScript's Number (so "abc" is never stale there); here a
// timestamp that is not a plain number is stale.
func parseTS(s string) (int64, bool) {
	if len(s) == 0 || len(s) > 15 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// VerifyPayload checks body (with its Content-Type) against the header's
// payload hash: ErrMissingPayloadHash when the header has none,
// ErrBadPayloadHash when it differs.
func (a *Auth) VerifyPayload(contentType string, body []byte) error {
	if a.Artifacts.Hash == "" {
		return ErrMissingPayloadHash
	}
	var buf [64]byte
	if !equalMAC(appendPayloadHash(buf[:0], a.Credentials.Algorithm, contentType, body), a.Artifacts.Hash) {
		return ErrBadPayloadHash
	}
	return nil
}

// ResponseOptions say what a Server-Authorization header covers.
type ResponseOptions struct {
	// HashPayload includes the hash of Payload under ContentType (the
	// response's Content-Type header value); upstream Loop hashes every
	// response that has a body.
	HashPayload bool
	ContentType string
	Payload     []byte
	Ext         string
}

// ResponseHeader returns the Server-Authorization value for a response to
// the request a verified: `Hawk mac="…"[, hash="…"][, ext="…"]`, the MAC
// over the request's artifacts with the response's hash and ext.
func (a *Auth) ResponseHeader(o ResponseOptions) string {
	art := a.Artifacts
	art.Hash, art.Ext = "", o.Ext
	if o.HashPayload {
		art.Hash = PayloadHash(a.Credentials.Algorithm, o.ContentType, o.Payload)
	}
	mac := string(macOf(nil, &a.Credentials, kindResponse, &art))
	return ServerAuthorization{MAC: mac, Hash: art.Hash, Ext: art.Ext}.String()
}
