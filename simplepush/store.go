package simplepush

import (
	"context"
	"encoding/json"
	"time"
)

// ChannelState is the life cycle of one channel record (pushgo's store):
// registered (no version yet, never flushed) -> live on the first PUT ->
// deleted on unregister.
type ChannelState uint8

const (
	StateNone       ChannelState = iota // no record
	StateRegistered                     // registered, version 0
	StateLive                           // has a version
	StateDeleted                        // unregistered; PUTs answer 410
)

func (s ChannelState) String() string {
	return [...]string{"none", "registered", "live", "deleted"}[min(int(s), 3)]
}

// Route says which server node holds a user agent's socket. The zero
// Route means not connected.
type Route struct {
	Node string // node name (Options.Node); "" when not connected
	// ConnectedAt is the hello time (Unix nanoseconds) of that socket; it
	// tells one connection of a uaid from the next, so a node only clears
	// or closes the connection it means.
	ConnectedAt int64
}

// Wakeup is what a user agent said in hello about how to wake it when it
// has no socket: pushgo's opaque "connect" object, or the early drafts'
// "wakeup"/"interface" ({ip, port}), "mobilenetwork" ({mcc, mnc}) and
// "protocol". A WakeupDriver interprets it; stores keep it opaque (JSON).
type Wakeup struct {
	Connect       json.RawMessage `json:"connect,omitempty"`
	Wakeup        json.RawMessage `json:"wakeup,omitempty"`
	Interface     json.RawMessage `json:"interface,omitempty"`
	MobileNetwork json.RawMessage `json:"mobilenetwork,omitempty"`
	Protocol      string          `json:"protocol,omitempty"`
}

// IsZero reports whether w carries nothing.
func (w *Wakeup) IsZero() bool {
	return w == nil || len(w.Connect) == 0 && len(w.Wakeup) == 0 && len(w.Interface) == 0 &&
		len(w.MobileNetwork) == 0 && w.Protocol == ""
}

// Store keeps SimplePush state: users (uaid records with their route and
// wake-up data) and their channels. Every method is safe for concurrent
// use, by several server nodes when the implementation is shared (Redis).
// Implementations return ctx errors when ctx ends and wrap their own
// failures; the server maps any error other than ErrUnknownChannel and
// ErrUnknownUAID to 500/503.
//
// Records expire (StoreTTLs): a live channel after LiveTTL, a registered
// one after RegisteredTTL and a deleted one after DeletedTTL since it was
// last written; Connect restarts the clock of every channel of the user,
// so the channels of a user agent that keeps connecting never expire. A
// user without a route expires UserTTL after its last Connect or
// Disconnect, with its channels.
type Store interface {
	// UserExists reports whether uaid has a record (it connected before
	// and has not expired or been dropped).
	UserExists(ctx context.Context, uaid string) (bool, error)

	// Connect records that the socket of uaid is now r, creating the
	// user if needed, and returns the previous route (zero if none). The
	// last Connect wins; the caller closes the previous socket.
	Connect(ctx context.Context, uaid string, r Route) (prev Route, err error)

	// Disconnect clears the route of uaid if it is still r (a newer
	// connection elsewhere is left alone).
	Disconnect(ctx context.Context, uaid string, r Route) error

	// Route returns the current route of uaid; the zero Route when none.
	Route(ctx context.Context, uaid string) (Route, error)

	// DropUser deletes uaid and all its channels (uaid reset).
	DropUser(ctx context.Context, uaid string) error

	// SetWakeup stores w for uaid (nil or zero clears it).
	SetWakeup(ctx context.Context, uaid string, w *Wakeup) error

	// Wakeup returns what SetWakeup stored, or nil.
	Wakeup(ctx context.Context, uaid string) (*Wakeup, error)

	// Register makes chid a registered channel of uaid. Idempotent: a
	// registered or live channel is left as it is; a deleted one starts
	// over as registered with version 0.
	Register(ctx context.Context, uaid, chid string) error

	// Unregister marks chid of uaid deleted: no more updates are stored
	// or pending for it. Idempotent; a channel uaid does not have is left
	// alone (no error).
	Unregister(ctx context.Context, uaid, chid string) error

	// Update stores version for chid of uaid if it is greater than the
	// stored one (only the newest version is kept) and reports whether it
	// did. A live channel with a new version is pending until acked.
	// ErrUnknownChannel when uaid or chid has no record or chid is
	// deleted.
	Update(ctx context.Context, uaid, chid string, version uint64) (stored bool, err error)

	// Ack records that the user agent has version of chid: the pending
	// update is cleared if version >= the stored version; an ack of an
	// older version never clears a newer one. Unknown channels are
	// ignored.
	Ack(ctx context.Context, uaid, chid string, version uint64) error

	// Pending appends to dst the unacked updates of uaid (live channels
	// whose version was not acked), in channel ID order, without data.
	Pending(ctx context.Context, uaid string, dst []Update) ([]Update, error)

	// Channel returns the state and version of chid of uaid (StateNone
	// when there is no record).
	Channel(ctx context.Context, uaid, chid string) (ChannelState, uint64, error)
}

// AckPender is a Store that can record a batch of acks and read what is
// still pending in one call (one round trip for a networked store). The
// server uses it for every ack when the Store has it; the result must be
// what Ack for each update followed by Pending would give.
type AckPender interface {
	AckPending(ctx context.Context, uaid string, acks []Update, dst []Update) ([]Update, error)
}

// StoreTTLs are the record lifetimes; zero fields take the spec defaults
// (pushgo's memcache TTLs), negative ones mean never.
type StoreTTLs struct {
	Live       time.Duration // default 72 h
	Registered time.Duration // default 3 h
	Deleted    time.Duration // default 24 h
	User       time.Duration // default 72 h
}

// Default record lifetimes (spec section 5).
const (
	DefaultLiveTTL       = 72 * time.Hour
	DefaultRegisteredTTL = 3 * time.Hour
	DefaultDeletedTTL    = 24 * time.Hour
	DefaultUserTTL       = 72 * time.Hour
)

// WithDefaults returns t with zero fields set to the defaults.
func (t StoreTTLs) WithDefaults() StoreTTLs {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&t.Live, DefaultLiveTTL)
	def(&t.Registered, DefaultRegisteredTTL)
	def(&t.Deleted, DefaultDeletedTTL)
	def(&t.User, DefaultUserTTL)
	return t
}

// For returns the TTL of a channel in state s.
func (t StoreTTLs) For(s ChannelState) time.Duration {
	switch s {
	case StateLive:
		return t.Live
	case StateRegistered:
		return t.Registered
	}
	return t.Deleted
}

// BusKind is the kind of a BusMessage.
type BusKind uint8

const (
	// BusNotify: deliver Update to the socket of UAID on the node.
	BusNotify BusKind = iota + 1
	// BusEvict: close the socket of UAID whose hello was at ConnectedAt
	// (a newer socket for that uaid was accepted on another node).
	BusEvict
)

// BusMessage is what one server node sends another.
type BusMessage struct {
	Kind        BusKind `json:"kind"`
	UAID        string  `json:"uaid"`
	ConnectedAt int64   `json:"connected_at,omitempty"`
	Update      Update  `json:"update"`
}

// Bus carries messages to the node that holds a uaid's socket (Redis
// pub/sub across processes; MemoryBus inside one).
type Bus interface {
	// Publish hands m to node. It reports whether the node took it: for
	// BusNotify, that the socket was there and the update was written
	// (an implementation that cannot know reports whether a subscriber
	// received it).
	Publish(ctx context.Context, node string, m BusMessage) (bool, error)

	// Subscribe makes h the receiver of node's messages until cancel is
	// called. h reports whether it took the message.
	Subscribe(node string, h func(ctx context.Context, m BusMessage) bool) (cancel func(), err error)
}
