package simplepush

import (
	"cmp"
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// This file holds the user-agent client's options, state and lifetime;
// client_run.go connects and reconnects, client_read.go reads, and
// client_ops.go has the commands.

// Defaults of ClientOptions.
const (
	DefaultNotificationBuffer = 256
	DefaultPingInterval       = 30 * time.Minute // spec S2: ping after ~30 min idle
	MinClientPingInterval     = time.Minute      // spec S2: never more than once a minute
	DefaultPongTimeout        = 10 * time.Second // spec S2: expect a reply in ~10 s
	DefaultReplyTimeout       = 10 * time.Second
	DefaultBackoffMin         = time.Second
	DefaultBackoffMax         = 5 * time.Minute
	DefaultClientMessageSize  = 1 << 20
)

// ClientOptions configures Dial. The zero value is valid: every zero field
// means the documented default.
type ClientOptions struct {
	// UAID resumes a user agent identity saved from an earlier Client
	// (Client.UAID), with Channels its registered channels (channel ID
	// -> pushEndpoint). Empty lets the server assign a uaid.
	UAID     string
	Channels map[string]string

	// Header holds extra headers for the WebSocket upgrade (Origin...).
	Header http.Header

	// NotificationBuffer is the capacity of the Notifications channel
	// (default 256). When it is full, an update is dropped and counted in
	// ClientStats.Dropped, never waited for: the read loop does not block
	// on a slow consumer. A dropped update is not acknowledged, so the
	// server keeps it and sends it again (after the next ack, on the next
	// hello, or on its retransmission timer): a drop delays an update, it
	// does not lose it.
	NotificationBuffer int

	// ManualAck leaves acknowledging to the caller (Client.Ack). By
	// default every update handed to the Notifications channel is
	// acknowledged at once.
	ManualAck bool

	// PingInterval is how long the socket may stay idle before the client
	// pings ({}); default 30 minutes, and never less than
	// MinClientPingInterval (the spec forbids pinging more than once a
	// minute). PongTimeout bounds the wait for the answer (default 10 s);
	// no answer means the socket is dead and the client reconnects.
	PingInterval time.Duration
	PongTimeout  time.Duration

	// ReplyTimeout bounds the wait for the hello reply on each connect;
	// default 10 s. Register and Unregister wait within their context.
	ReplyTimeout time.Duration

	// BackoffMin and BackoffMax bound the wait between reconnection
	// attempts: it doubles from BackoffMin up to BackoffMax, with jitter
	// (a random half of it), and starts over after a successful hello.
	// Defaults 1 s and 5 minutes. A server closing with 4774 (autopush:
	// "stop reconnecting until the network changes") gets BackoffMax.
	BackoffMin time.Duration
	BackoffMax time.Duration

	// MaxMessageSize bounds one server message; default 1 MiB.
	MaxMessageSize int64

	// OnReset is called when the server assigned a new uaid (the old one
	// was unknown, expired or reset): the client has registered every
	// channel again under the new uaid, and Reset carries the new
	// endpoints, which app servers must be told. OnExpired is called with
	// the channels a server listed as expired (pushgo); the client has
	// forgotten them, and their apps should register again. Both run on
	// the client's connection goroutine: they may call Register, but
	// must not block for long.
	OnReset   func(Reset)
	OnExpired func(channelIDs []string)

	// Logf, when set, receives one line per reconnection or dropped
	// update.
	Logf func(format string, args ...any)

	// pingInterval, when set (package tests), replaces PingInterval
	// without the spec's minimum.
	pingInterval time.Duration
}

func (o ClientOptions) withDefaults() ClientOptions {
	defDur := func(p *time.Duration, v time.Duration) {
		if *p <= 0 {
			*p = v
		}
	}
	if o.NotificationBuffer <= 0 {
		o.NotificationBuffer = DefaultNotificationBuffer
	}
	defDur(&o.PingInterval, DefaultPingInterval)
	o.PingInterval = max(o.PingInterval, MinClientPingInterval)
	defDur(&o.PongTimeout, DefaultPongTimeout)
	defDur(&o.ReplyTimeout, DefaultReplyTimeout)
	defDur(&o.BackoffMin, DefaultBackoffMin)
	defDur(&o.BackoffMax, DefaultBackoffMax)
	o.BackoffMax = max(o.BackoffMax, o.BackoffMin)
	if o.MaxMessageSize <= 0 {
		o.MaxMessageSize = DefaultClientMessageSize
	}
	return o
}

// Notification is one update handed to the application.
type Notification struct {
	ChannelID string
	Version   uint64
	Data      string // only on direct delivery; "" when resent
}

// Reset says that the server assigned a new uaid and what became of the
// channels, which the client registered again under it.
type Reset struct {
	OldUAID, NewUAID string
	Endpoints        map[string]string // channel ID -> new pushEndpoint
	Failed           map[string]error  // channels that could not be registered again (forgotten)
}

// ClientStats are a client's counters.
type ClientStats struct {
	Delivered  uint64 // updates handed to the Notifications channel
	Dropped    uint64 // updates dropped because the channel was full (the server resends them)
	Duplicates uint64 // resent updates already handed over, not handed again
	Reconnects uint64 // successful connections after the first
	Resets     uint64 // uaid resets
	Pings      uint64 // pings sent
}

// Client is a SimplePush user agent: it keeps one WebSocket to the
// server, says hello with its uaid and channels, reconnects with backoff
// when the socket breaks, and hands updates to the application. Its
// methods are safe for concurrent use.
type Client struct {
	url  string
	opts ClientOptions
	// pingEvery is opts.PingInterval; tests shorten it below the spec's
	// minimum.
	pingEvery time.Duration

	ctx    context.Context // ends at Close
	cancel context.CancelFunc
	wg     sync.WaitGroup
	notes  chan Notification

	mu       sync.Mutex
	uaid     string
	channels map[string]*channelState
	cur      *session      // nil while disconnected
	ready    chan struct{} // closed when cur is set; replaced when it is cleared
	closed   bool

	stats struct {
		delivered, dropped, duplicates, reconnects, resets, pings atomic.Uint64
	}
}

// channelState is what the client knows of one registered channel.
type channelState struct {
	endpoint  string
	delivered uint64 // highest version handed to the application
}

// Dial connects to the server at url (ws:// or wss://), says hello, and
// starts the connection goroutine. ctx bounds this first connection only;
// the client then lives until Close.
func Dial(ctx context.Context, url string, opts ClientOptions) (*Client, error) {
	opts = opts.withDefaults()
	c := &Client{
		url: url, opts: opts, pingEvery: cmp.Or(opts.pingInterval, opts.PingInterval),
		notes:    make(chan Notification, opts.NotificationBuffer),
		uaid:     opts.UAID,
		channels: map[string]*channelState{},
		ready:    make(chan struct{}),
	}
	for chid, ep := range opts.Channels {
		c.channels[chid] = &channelState{endpoint: ep}
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	s, err := c.connect(ctx)
	if err != nil {
		c.cancel()
		return nil, err
	}
	c.wg.Add(1)
	go c.run(s)
	return c, nil
}

// Notifications returns the channel of updates. It is closed by Close.
func (c *Client) Notifications() <-chan Notification { return c.notes }

// UAID returns the current uaid.
func (c *Client) UAID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.uaid
}

// Channels returns the registered channels: channel ID -> pushEndpoint.
func (c *Client) Channels() map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]string, len(c.channels))
	for id, ch := range c.channels {
		out[id] = ch.endpoint
	}
	return out
}

// Stats returns the counters.
func (c *Client) Stats() ClientStats {
	return ClientStats{
		Delivered: c.stats.delivered.Load(), Dropped: c.stats.dropped.Load(),
		Duplicates: c.stats.duplicates.Load(), Reconnects: c.stats.reconnects.Load(),
		Resets: c.stats.resets.Load(), Pings: c.stats.pings.Load(),
	}
}

// Close closes the socket, stops reconnecting, waits for the client's
// goroutines and closes the Notifications channel.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.mu.Unlock()
	c.cancel()
	c.wg.Wait()
	close(c.notes)
	return nil
}

func (c *Client) logf(format string, args ...any) {
	if c.opts.Logf != nil {
		c.opts.Logf(format, args...)
	}
}
