package simplepush

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of Options (spec section 6; pushgo unless said otherwise).
const (
	DefaultMaxChannels        = 200
	DefaultMaxDataLen         = 4096
	DefaultMaxMessageSize     = 128 << 10 // hello with a 64 000-character uaid must parse
	DefaultMaxConnections     = 1000
	DefaultHelloTimeout       = 30 * time.Second
	DefaultMinPingInterval    = 20 * time.Second // DialectAutopush: 55 s
	DefaultRetransmitInterval = 60 * time.Second // spec S2 "every 60 seconds"
	DefaultWriteTimeout       = 10 * time.Second
	DefaultFrameTimeout       = 10 * time.Second
	DefaultStoreTimeout       = 5 * time.Second
	DefaultEndpointPath       = "/update/"
)

// autopushMinPingInterval is autopush's ping limit (close 4774 below it).
const autopushMinPingInterval = 55 * time.Second

// CloseNoReconnect is autopush's close code for a client that pings too
// often: stop reconnecting until the network changes (originally the UDP
// wake-up code).
const CloseNoReconnect = 4774

// Options configures NewServer. The zero value is a single-node pushgo
// server with an in-memory store; zero limits take the defaults above,
// negative durations disable the timer.
type Options struct {
	Dialect Dialect

	// Store keeps users and channels; nil means NewMemoryStore.
	Store Store
	// Bus and Node make the server one node of several sharing Store:
	// updates for a uaid whose socket is on another node go there over
	// Bus, and a newer hello on one node closes the older socket on
	// another. Node must be unique among the nodes; "" means "local".
	Bus  Bus
	Node string

	// TokenKey is the AES-256 key of endpoint tokens (TokenKeySize
	// bytes), shared by every node; nil means a random key, so endpoints
	// do not survive a restart.
	TokenKey []byte
	// EndpointURL is the prefix of pushEndpoint URLs, up to the token,
	// e.g. "https://push.example.com/update/". "" means
	// "http://<Host of the WebSocket request>" + DefaultEndpointPath,
	// served by this handler.
	EndpointURL string

	MaxChannels    int   // channelIDs in hello above this reset the uaid; default 200
	MaxDataLen     int   // bytes of data in a PUT; default 4096 (413 above)
	MaxMessageSize int64 // bytes of one WebSocket message; default 128 KiB (close 1009 above)
	MaxConnections int   // open sockets; default 1000, negative unlimited (503 above)

	HelloTimeout       time.Duration // from socket open to hello; default 30 s
	MinPingInterval    time.Duration // between client pings; default 20 s (autopush 55 s)
	RetransmitInterval time.Duration // resend of unacked updates on a live socket; default 60 s
	WriteTimeout       time.Duration // one frame write; default 10 s
	FrameTimeout       time.Duration // rest of a frame once it started; default 10 s
	StoreTimeout       time.Duration // one Store call; default 5 s

	// LongPongs answers {} with {"messageType":"ping","status":200}
	// (pushgo push_long_pongs).
	LongPongs bool
	// ResendPendingOnAck re-sends every pending update after each ack,
	// those this socket was already sent included, as pushgo and
	// autopush do (spec section 3.5). Off by default: after an ack the
	// server sends only versions newer than the ones this socket was
	// sent, and re-sends the rest on hello and on the retransmission
	// timer, so a busy user agent is not sent each update many times.
	ResendPendingOnAck bool
	// BusyWhileInFlight answers a PUT with 503 and Retry-After while an
	// update sent to that uaid's socket on this node is not yet acked
	// (the seed's back-pressure option). Off by default.
	BusyWhileInFlight bool
	// Origins, when not empty, is the allow-list of Origin headers for
	// the WebSocket (pushgo [websocket] origins).
	Origins []string

	// Wakeup is called for a stored update whose user agent is not
	// connected and said in hello how to wake it. nil: no wake-ups.
	Wakeup WakeupDriver

	// Clock drives protocol timers; nil means the real clock.
	Clock Clock
	// Logf, when set, receives one line per notable event.
	Logf func(format string, args ...any)
}

func (o *Options) withDefaults() {
	if o.Store == nil {
		o.Store = NewMemoryStore(MemoryStoreOptions{})
	}
	if o.Node == "" {
		o.Node = "local"
	}
	if o.Clock == nil {
		o.Clock = realClock{}
	}
	defInt := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	defDur := func(p *time.Duration, v time.Duration) {
		if *p == 0 {
			*p = v
		}
	}
	defInt(&o.MaxChannels, DefaultMaxChannels)
	defInt(&o.MaxDataLen, DefaultMaxDataLen)
	defInt(&o.MaxConnections, DefaultMaxConnections)
	if o.MaxMessageSize <= 0 {
		o.MaxMessageSize = DefaultMaxMessageSize
	}
	defDur(&o.HelloTimeout, DefaultHelloTimeout)
	if o.Dialect == DialectAutopush {
		defDur(&o.MinPingInterval, autopushMinPingInterval)
	}
	defDur(&o.MinPingInterval, DefaultMinPingInterval)
	defDur(&o.RetransmitInterval, DefaultRetransmitInterval)
	defDur(&o.WriteTimeout, DefaultWriteTimeout)
	defDur(&o.FrameTimeout, DefaultFrameTimeout)
	defDur(&o.StoreTimeout, DefaultStoreTimeout)
}

// Server is the reference SimplePush server: an http.Handler that accepts
// user-agent WebSockets (any path outside the endpoint path) and
// app-server PUTs under DefaultEndpointPath. Idle sockets cost no
// goroutine and no buffer: they wait in the poller (epoll on Linux) and
// are read by a short-lived goroutine when data arrives.
type Server struct {
	opts   Options
	tokens *TokenCodec
	poll   poller

	ctx    context.Context // ends at Close
	cancel context.CancelFunc
	unsub  func()

	mu     sync.Mutex
	conns  map[*conn]struct{}
	byUAID map[string]*conn
	// prefixes interns pushEndpoint prefixes by Host (endpointPrefix).
	prefixes map[string]string
	lastAt   int64 // last ConnectedAt handed out
	closing  bool

	discs disconnects
	stats counters
	// memStore: Options.Store is a *MemoryStore, whose calls never wait,
	// and the Bus, if any, a MemoryBus.
	memStore bool
}

type counters struct {
	reading       atomic.Int64
	helloed       atomic.Int64
	delivered     atomic.Uint64
	stored        atomic.Uint64
	retransmitted atomic.Uint64
	wakeups       atomic.Uint64
	routed        atomic.Uint64
}

// Stats is a snapshot of a server's counters, for load tools and
// monitoring.
type Stats struct {
	Conns         int    // open WebSocket connections
	Helloed       int    // of which completed hello
	Reading       int    // with a goroutine reading right now (the rest wait in the poller)
	Delivered     uint64 // updates written to a socket on PUT
	Routed        uint64 // updates handed to another node
	Stored        uint64 // PUTs answered 202
	Retransmitted uint64 // notifications resent by the retransmission timer
	Wakeups       uint64 // wake-up driver calls that succeeded
}

// NewServer returns a server; Close it to release the poller.
func NewServer(opts Options) (*Server, error) {
	opts.withDefaults()
	key := opts.TokenKey
	if key == nil {
		key = NewTokenKey()
	}
	tokens, err := NewTokenCodec(key)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	_, mem := opts.Store.(*MemoryStore)
	if _, membus := opts.Bus.(*MemoryBus); opts.Bus != nil && !membus {
		mem = false // hello publishes evictions on the bus with the store's context
	}
	s := &Server{
		opts: opts, tokens: tokens, ctx: ctx, cancel: cancel,
		conns: map[*conn]struct{}{}, byUAID: map[string]*conn{}, memStore: mem,
	}
	s.poll, err = newPoller(s.readable)
	if err != nil {
		cancel()
		return nil, err
	}
	if opts.Bus != nil {
		s.unsub, err = opts.Bus.Subscribe(opts.Node, s.onBus)
		if err != nil {
			s.poll.close()
			cancel()
			return nil, err
		}
	}
	return s, nil
}

// Stats returns the current counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	n := len(s.conns)
	s.mu.Unlock()
	return Stats{
		Conns: n, Helloed: int(s.stats.helloed.Load()), Reading: int(s.stats.reading.Load()),
		Delivered: s.stats.delivered.Load(), Routed: s.stats.routed.Load(), Stored: s.stats.stored.Load(),
		Retransmitted: s.stats.retransmitted.Load(), Wakeups: s.stats.wakeups.Load(),
	}
}

// Tokens returns the codec of this server's endpoint tokens.
func (s *Server) Tokens() *TokenCodec { return s.tokens }

// ServeHTTP routes PUTs under DefaultEndpointPath to the endpoint and
// every other request to the WebSocket side.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, DefaultEndpointPath) {
		s.serveEndpoint(w, r)
		return
	}
	s.serveWebSocket(w, r)
}

// Endpoint returns the handler of app-server PUTs alone, to mount on a
// separate listener (pushgo's :8081); it expects paths
// DefaultEndpointPath + token.
func (s *Server) Endpoint() http.Handler { return http.HandlerFunc(s.serveEndpoint) }

// Serve accepts connections on ln until ctx ends, then closes the server.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	stop := context.AfterFunc(ctx, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
		s.Close()
	})
	defer stop()
	err := hs.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) && ctx.Err() != nil {
		return nil
	}
	return err
}

// Close closes every socket (close code 1001) and the poller. The
// handler answers 503 afterwards.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return nil
	}
	s.closing = true
	all := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		all = append(all, c)
	}
	s.mu.Unlock()
	if s.unsub != nil {
		s.unsub()
	}
	for _, c := range all {
		c.close(1001, "server shutting down")
	}
	s.waitDisconnects() // the routes of the sockets just closed
	s.cancel()
	return s.poll.close()
}

func (s *Server) logf(format string, args ...any) {
	if s.opts.Logf != nil {
		s.opts.Logf(format, args...)
	}
}

// storeCtx bounds one Store call. The in-memory store never waits, so
// it gets the server's context as it is: a deadline context costs a
// runtime timer and three allocations on every ack.
func (s *Server) storeCtx() (context.Context, context.CancelFunc) {
	return s.boundCtx(s.ctx)
}

// boundCtx is parent with StoreTimeout, unless the store is in memory.
func (s *Server) boundCtx(parent context.Context) (context.Context, context.CancelFunc) {
	if s.memStore {
		return parent, func() {}
	}
	return context.WithTimeout(parent, s.opts.StoreTimeout)
}

// nextConnectedAt returns a hello time unique within this server.
func (s *Server) nextConnectedAt() int64 {
	now := s.opts.Clock.Now().UnixNano()
	s.mu.Lock()
	defer s.mu.Unlock()
	if now <= s.lastAt {
		now = s.lastAt + 1
	}
	s.lastAt = now
	return now
}
