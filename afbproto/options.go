package afbproto

import (
	"log/slog"
	"time"
)

// Defaults of Options (spec §5, V6-2019 --help).
const (
	DefaultRootAPI        = "/api"
	DefaultSessionTimeout = 32000000 * time.Second
	DefaultSessionMax     = 200
	DefaultAPITimeout     = 20 * time.Second
	DefaultMaxMessageSize = 1 << 20 // WebSocket messages and HTTP bodies
	DefaultMaxCalls       = 64      // concurrent calls per WebSocket connection
	DefaultSendQueue      = 256     // pending outgoing messages per WebSocket connection
)

// maxTokenLen is the longest initial token upstream accepts.
const maxTokenLen = 36

// InitialToken is the token every new session starts with (spec §3.1,
// afb-daemon --token). The zero value is a random secret drawn when the
// Binder is built (afb-daemon without --token): nobody can pass a token
// check until the secret is handed out, see Binder.InitialToken.
type InitialToken struct {
	kind  uint8 // 0 random, 1 fixed, 2 any
	token string
}

// FixedToken makes every new session start with token t (--token=t). An
// empty t is the same as AnyToken. NewBinder refuses tokens longer than 36
// bytes, as upstream does.
func FixedToken(t string) InitialToken {
	if t == "" {
		return AnyToken()
	}
	return InitialToken{kind: 1, token: t}
}

// AnyToken makes new sessions start with an empty token, and an empty
// session token accepts any token or none (--token=).
func AnyToken() InitialToken { return InitialToken{kind: 2} }

// RandomToken is the zero InitialToken, spelled out.
func RandomToken() InitialToken { return InitialToken{} }

// Options configures a Binder. The zero value is valid: every zero field
// means the documented default.
type Options struct {
	// RootAPI is the URL prefix of the API, matched case-insensitively
	// (--rootapi). Default "/api".
	RootAPI string

	// Token is the initial token of new sessions. Default: a random secret.
	// DialectAGLFinal and DialectLibafb have no initial token and ignore
	// it; see TokenValidator.
	Token InitialToken

	// TokenValidator decides, in DialectAGLFinal and DialectLibafb only,
	// whether a request's token is valid (upstream asks Cynara for the
	// permission urn:AGL:token:valid). It receives the token the request
	// carries ("" when none) and must be safe for concurrent use. nil, the
	// default, counts every token as valid, absent ones included, as
	// upstream does without Cynara. V1-2016 and V6-2019 compare the token
	// with the session's and do not call it.
	TokenValidator func(token string) bool

	// SessionTimeout is the lifetime of a session, counted from its
	// creation and restarted only by a token refresh (--cntxtimeout).
	// Default 32000000 s.
	SessionTimeout time.Duration

	// SessionMax is the largest number of live sessions; creating one more
	// fails with HTTP 500 (--session-max). Default 200; negative means no
	// limit.
	SessionMax int

	// APITimeout bounds the time a verb may take to reply; after it the
	// call is answered "aborted" and the request context is cancelled
	// (--apitimeout). Default 20 s.
	APITimeout time.Duration

	// Dialect selects the upstream generation served: the JSON shape of
	// replies and events, the token and session rules, the status strings
	// and HTTP status codes. Default DialectV6. See the package
	// documentation for what each dialect does.
	Dialect Dialect

	// StrictMasking refuses unmasked client frames (close 1002), as RFC
	// 6455 §5.1 requires. By default DialectV6 and DialectV1 accept them,
	// as afb-daemon does: its own 2019 client library (libafbwsc, used by
	// afb-client-demo) never masks its frames. DialectAGLFinal and
	// DialectLibafb are always strict.
	StrictMasking bool

	// MaxMessageSize bounds a WebSocket message and an HTTP request body
	// (multipart files included). Default 1 MiB.
	MaxMessageSize int64

	// MaxCalls bounds the calls of one WebSocket connection that run at
	// the same time; the connection is not read while the bound is
	// reached. Default 64.
	MaxCalls int

	// SendQueue bounds the replies and events waiting to be written to
	// one WebSocket connection; a peer that lets it fill up is
	// disconnected with 1008. Default 256.
	SendQueue int

	// CookiePort is the <PORT> of the session cookie name
	// x-afb-uuid-<PORT>. Zero derives it from the local address of each
	// connection (0 for non-TCP listeners such as unix sockets).
	CookiePort int

	// TempDir receives uploaded multipart files for the duration of the
	// call. Default os.TempDir().
	TempDir string

	// Logger receives panics of bindings and connection errors. Default
	// slog.Default().
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.RootAPI == "" {
		o.RootAPI = DefaultRootAPI
	}
	if o.SessionTimeout <= 0 {
		o.SessionTimeout = DefaultSessionTimeout
	}
	if o.SessionMax == 0 {
		o.SessionMax = DefaultSessionMax
	}
	if o.APITimeout <= 0 {
		o.APITimeout = DefaultAPITimeout
	}
	if o.MaxMessageSize <= 0 {
		o.MaxMessageSize = DefaultMaxMessageSize
	}
	if o.MaxCalls <= 0 {
		o.MaxCalls = DefaultMaxCalls
	}
	if o.SendQueue <= 0 {
		o.SendQueue = DefaultSendQueue
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}
