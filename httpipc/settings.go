package httpipc

import (
	"time"

	"github.com/appwire/appwire/httpipc/bhttp"
)

// Defaults of Options (httpipc spec §3.5). A zero Options field means the
// default named here.
const (
	DefaultMaxFrameSize         = 16 << 10
	DefaultMaxConcurrentStreams = 100
	DefaultMaxHeaderBytes       = 64 << 10
	DefaultMaxHeaderFields      = bhttp.DefaultMaxFields
	DefaultMaxFieldLength       = bhttp.DefaultMaxFieldLength
	DefaultMaxInformational     = bhttp.DefaultMaxInformational
	DefaultInitialStreamCredit  = 256 << 10
	DefaultInitialConnCredit    = 1 << 20
	DefaultMaxRequestBodySize   = 8 << 20
	DefaultReadIdleTimeout      = 30 * time.Second
	DefaultPingTimeout          = 15 * time.Second
	DefaultIdleTimeout          = 90 * time.Second
	DefaultMaxQueuedControl     = 1 << 20
)

// Options are the connection settings and limits, shared by Transport and
// Server. The first four are announced to the peer in HELLO; the others are
// local. Every limit is enforced on what the peer sends, before anything
// is allocated for it. The zero value means every default.
type Options struct {
	// MaxFrameSize is the largest frame payload this side accepts
	// (max_frame_size). Default 16 KiB; at least MinFrameSize. On a
	// MessageConn it is lowered to MaxMessageSize()-MaxFrameHeaderLen.
	MaxFrameSize int
	// MaxConcurrentStreams is how many streams the peer may have open at
	// once towards this side (max_concurrent_streams). Default 100. A
	// server refuses extra streams with RESET(REFUSED_STREAM); a client
	// sends 0 since it accepts no server-initiated streams.
	MaxConcurrentStreams int
	// MaxHeaderBytes bounds each received header, trailer and
	// informational section, encoded (max_header_bytes). Default 64 KiB.
	// Exceeding it resets the stream with HEADER_LIMIT.
	MaxHeaderBytes int
	// InitialStreamCredit is the DATA the peer may send on a stream before
	// this side returns credit, so at most this much is buffered per
	// stream. Default 256 KiB.
	InitialStreamCredit int
	// InitialConnCredit is the same for all streams of the connection
	// together, bounding the memory one peer can fill. Default 1 MiB.
	InitialConnCredit int

	// MaxHeaderFields bounds the field lines of one section. Default 1000.
	MaxHeaderFields int
	// MaxFieldLength bounds one field name or value and each of method,
	// scheme, authority and path. Default 8 KiB.
	MaxFieldLength int
	// MaxInformational bounds the 1xx responses before a final response.
	// Default 10.
	MaxInformational int

	// ReadIdleTimeout: after this long without receiving a frame, a PING
	// is sent. Default 30s; negative disables PINGs.
	ReadIdleTimeout time.Duration
	// PingTimeout: a connection whose PING is not answered within this
	// long fails every stream with ErrPeerGone (code TIMEOUT).
	// Default 15s.
	PingTimeout time.Duration
	// IdleTimeout: a connection with no open stream for this long is
	// closed with GOAWAY(NO_ERROR). Default 90s; negative disables it.
	IdleTimeout time.Duration
	// MaxQueuedControl bounds the bytes of control frames (PING acks,
	// CREDIT, RESET) queued for a peer that is not reading; beyond it the
	// connection fails with ErrControlFlood. Default 1 MiB.
	MaxQueuedControl int
}

func (o Options) resolved() Options {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.MaxFrameSize, DefaultMaxFrameSize)
	if o.MaxFrameSize < MinFrameSize {
		o.MaxFrameSize = MinFrameSize
	}
	def(&o.MaxConcurrentStreams, DefaultMaxConcurrentStreams)
	def(&o.MaxHeaderBytes, DefaultMaxHeaderBytes)
	def(&o.InitialStreamCredit, DefaultInitialStreamCredit)
	def(&o.InitialConnCredit, DefaultInitialConnCredit)
	def(&o.MaxHeaderFields, DefaultMaxHeaderFields)
	def(&o.MaxFieldLength, DefaultMaxFieldLength)
	def(&o.MaxInformational, DefaultMaxInformational)
	def(&o.MaxQueuedControl, DefaultMaxQueuedControl)
	dur := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	dur(&o.ReadIdleTimeout, DefaultReadIdleTimeout)
	dur(&o.PingTimeout, DefaultPingTimeout)
	dur(&o.IdleTimeout, DefaultIdleTimeout)
	return o
}

func (o *Options) limits() bhttp.Limits {
	return bhttp.Limits{
		MaxFieldSectionSize: o.MaxHeaderBytes,
		MaxFields:           o.MaxHeaderFields,
		MaxFieldLength:      o.MaxFieldLength,
		MaxInformational:    o.MaxInformational,
	}
}

// peerSettings are the values a HELLO announced, with the defaults of
// settings it left out.
type peerSettings struct {
	maxFrameSize   uint64
	maxStreams     uint64
	maxHeaderBytes uint64
	streamCredit   uint64
	connCredit     uint64
}

func defaultPeerSettings() peerSettings {
	return peerSettings{
		maxFrameSize:   DefaultMaxFrameSize,
		maxStreams:     DefaultMaxConcurrentStreams,
		maxHeaderBytes: DefaultMaxHeaderBytes,
		streamCredit:   DefaultInitialStreamCredit,
		connCredit:     DefaultInitialConnCredit,
	}
}

// helloFrame is the HELLO this side sends. maxStreams is what the peer may
// open towards us.
func helloFrame(o *Options, maxStreams int) *Frame {
	return &Frame{Type: FrameHello, Version: ProtocolVersion, Settings: []Setting{
		{SettingMaxFrameSize, uint64(o.MaxFrameSize)},
		{SettingMaxConcurrentStreams, uint64(maxStreams)},
		{SettingMaxHeaderBytes, uint64(o.MaxHeaderBytes)},
		{SettingInitialStreamCredit, uint64(o.InitialStreamCredit)},
		{SettingInitialConnCredit, uint64(o.InitialConnCredit)},
	}}
}

// parseHello checks a peer's HELLO and returns its settings.
func parseHello(f *Frame) (peerSettings, error) {
	ps := defaultPeerSettings()
	if f.Type != FrameHello {
		return ps, connError(ErrCodeProtocol, wrapf(ErrHandshake, "first frame is "+f.Type.String()))
	}
	if f.Version != ProtocolVersion {
		return ps, connError(ErrCodeProtocol, wrapf(ErrHandshake, "unsupported version"))
	}
	for _, s := range f.Settings {
		switch s.ID {
		case SettingMaxFrameSize:
			if s.Value < MinFrameSize {
				return ps, connError(ErrCodeProtocol, wrapf(ErrHandshake, "max_frame_size below 1024"))
			}
			ps.maxFrameSize = s.Value
		case SettingMaxConcurrentStreams:
			ps.maxStreams = s.Value
		case SettingMaxHeaderBytes:
			ps.maxHeaderBytes = s.Value
		case SettingInitialStreamCredit:
			ps.streamCredit = s.Value
		case SettingInitialConnCredit:
			ps.connCredit = s.Value
		}
	}
	return ps, nil
}
