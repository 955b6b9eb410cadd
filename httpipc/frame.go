package httpipc

import (
	"bufio"
	"io"
	"strconv"

	"github.com/appwire/appwire/httpipc/bhttp"
)

// FrameType identifies the layout of a frame's payload.
type FrameType uint64

// Frame types of protocol version 1. Frames of other types are ignored by
// receivers, so later versions can add types.
const (
	FrameHello  FrameType = 0x0
	FrameData   FrameType = 0x1
	FrameReset  FrameType = 0x2
	FrameGoAway FrameType = 0x3
	FramePing   FrameType = 0x4
	FrameCredit FrameType = 0x5
)

var frameTypeNames = [...]string{"HELLO", "DATA", "RESET", "GOAWAY", "PING", "CREDIT"}

func (t FrameType) String() string {
	if t < FrameType(len(frameTypeNames)) {
		return frameTypeNames[t]
	}
	return "UNKNOWN_FRAME_TYPE_0x" + strconv.FormatUint(uint64(t), 16)
}

// Flags is the 8-bit flags field of a frame. Undefined flags are sent as
// zero and ignored on receipt (but kept in Frame.Flags).
type Flags uint8

const (
	// FlagEndStream on DATA: the last frame of the sender's message.
	FlagEndStream Flags = 0x1
	// FlagAck on PING: this PING answers one received.
	FlagAck Flags = 0x1
)

// SettingID names a setting in a HELLO frame.
type SettingID uint64

// Settings of protocol version 1. Unknown settings are ignored.
const (
	SettingMaxFrameSize         SettingID = 0x1 // largest payload the sender accepts; >= MinFrameSize
	SettingMaxConcurrentStreams SettingID = 0x2 // streams the sender lets its peer open at once
	SettingMaxHeaderBytes       SettingID = 0x3 // largest header section the sender accepts
	SettingInitialStreamCredit  SettingID = 0x4 // DATA bytes the peer may send on a new stream
	SettingInitialConnCredit    SettingID = 0x5 // DATA bytes the peer may send on the connection
)

// Setting is one HELLO setting.
type Setting struct {
	ID    SettingID
	Value uint64
}

const (
	// ProtocolVersion is the version this package speaks in HELLO.
	ProtocolVersion = 1
	// MaxFrameHeaderLen is the largest frame header: three 8-byte varints
	// and the flags byte. On a MessageConn, max_frame_size is at most
	// MaxMessageSize() minus this.
	MaxFrameHeaderLen = 8 + 8 + 1 + 8
	// MinFrameSize is the smallest max_frame_size a HELLO may announce.
	MinFrameSize = 1024
	// PingDataLen is the size of a PING payload.
	PingDataLen = 8
)

// Frame is one decoded frame. Type, StreamID and Flags are the header;
// the other fields hold the payload of the types that use them.
//
// A Frame returned by a Framer is valid until its next ReadFrame; Data
// aliases the Framer's buffer (or the message given to ParseFrame).
type Frame struct {
	Type     FrameType
	StreamID uint64
	Flags    Flags

	// Data is the payload of DATA, the PingDataLen opaque bytes of PING,
	// or the whole payload of a frame of unknown type.
	Data []byte
	// Version and Settings are the payload of HELLO, settings in wire
	// order.
	Version  uint64
	Settings []Setting
	// Code is the error code of RESET and GOAWAY; Reason their reason text.
	Code   ErrCode
	Reason string
	// LastStreamID is the GOAWAY's highest peer-initiated stream id that
	// was or may still be processed.
	LastStreamID uint64
	// Increment is the CREDIT's addition to a window, 1..2^62-1.
	Increment uint64
}

// EndStream reports whether f is a DATA frame with FlagEndStream.
func (f *Frame) EndStream() bool { return f.Type == FrameData && f.Flags&FlagEndStream != 0 }

// payloadLen is the encoded size of f's payload.
func (f *Frame) payloadLen() int {
	v := func(x uint64) int { return bhttp.VarintLen(x) }
	switch f.Type {
	case FrameHello:
		n := v(f.Version)
		for _, s := range f.Settings {
			n += v(uint64(s.ID)) + v(s.Value)
		}
		return n
	case FrameReset:
		return v(uint64(f.Code)) + v(uint64(len(f.Reason))) + len(f.Reason)
	case FrameGoAway:
		return v(f.LastStreamID) + v(uint64(f.Code)) + v(uint64(len(f.Reason))) + len(f.Reason)
	case FrameCredit:
		return v(f.Increment)
	}
	return len(f.Data)
}

// check validates f as AppendFrame requires.
func (f *Frame) check() error {
	if f.StreamID > bhttp.MaxVarint || uint64(f.Type) > bhttp.MaxVarint {
		return connError(ErrCodeProtocol, wrapf(ErrFramePayload, "type or stream id above 2^62-1"))
	}
	if err := checkStreamID(f.Type, f.StreamID); err != nil {
		return err
	}
	switch f.Type {
	case FrameHello:
		if f.Version > bhttp.MaxVarint {
			return connError(ErrCodeProtocol, wrapf(ErrFramePayload, "version above 2^62-1"))
		}
		for i, s := range f.Settings {
			if uint64(s.ID) > bhttp.MaxVarint || s.Value > bhttp.MaxVarint {
				return connError(ErrCodeProtocol, wrapf(ErrFramePayload, "setting above 2^62-1"))
			}
			for _, p := range f.Settings[:i] {
				if p.ID == s.ID {
					return connError(ErrCodeProtocol, wrapf(ErrFramePayload, "duplicate setting"))
				}
			}
		}
	case FrameReset, FrameGoAway:
		if uint64(f.Code) > bhttp.MaxVarint || f.LastStreamID > bhttp.MaxVarint {
			return connError(ErrCodeProtocol, wrapf(ErrFramePayload, "value above 2^62-1"))
		}
	case FramePing:
		if len(f.Data) != PingDataLen {
			return connError(ErrCodeFrameSize, wrapf(ErrFramePayload, "PING payload must be 8 bytes"))
		}
	case FrameCredit:
		if f.Increment == 0 || f.Increment > bhttp.MaxVarint {
			return connError(ErrCodeProtocol, wrapf(ErrFramePayload, "CREDIT increment must be 1..2^62-1"))
		}
	}
	return nil
}

// checkStreamID applies the stream-id rule of each known type.
func checkStreamID(t FrameType, id uint64) error {
	switch t {
	case FrameHello, FrameGoAway, FramePing:
		if id != 0 {
			return connError(ErrCodeProtocol, wrapf(ErrFrameStreamID, t.String()+" on stream "+strconv.FormatUint(id, 10)))
		}
	case FrameData, FrameReset:
		if id == 0 {
			return connError(ErrCodeProtocol, wrapf(ErrFrameStreamID, t.String()+" on stream 0"))
		}
	}
	return nil
}

// AppendFrame appends the encoding of f to dst: the header with Length
// computed from the payload fields, then the payload. It returns dst
// unchanged and an error wrapping ErrFramePayload or ErrFrameStreamID if f
// breaks a rule of its type. It does not know the peer's max_frame_size.
func AppendFrame(dst []byte, f *Frame) ([]byte, error) {
	if err := f.check(); err != nil {
		return dst, err
	}
	return appendFrame(dst, f), nil
}

func appendFrame(dst []byte, f *Frame) []byte {
	dst = appendHeader(dst, f.Type, f.StreamID, f.Flags, f.payloadLen())
	switch f.Type {
	case FrameHello:
		dst = bhttp.AppendVarint(dst, f.Version)
		for _, s := range f.Settings {
			dst = bhttp.AppendVarint(dst, uint64(s.ID))
			dst = bhttp.AppendVarint(dst, s.Value)
		}
	case FrameReset:
		dst = bhttp.AppendVarint(dst, uint64(f.Code))
		dst = bhttp.AppendVarint(dst, uint64(len(f.Reason)))
		dst = append(dst, f.Reason...)
	case FrameGoAway:
		dst = bhttp.AppendVarint(dst, f.LastStreamID)
		dst = bhttp.AppendVarint(dst, uint64(f.Code))
		dst = bhttp.AppendVarint(dst, uint64(len(f.Reason)))
		dst = append(dst, f.Reason...)
	case FrameCredit:
		dst = bhttp.AppendVarint(dst, f.Increment)
	default:
		dst = append(dst, f.Data...)
	}
	return dst
}

func appendHeader(dst []byte, t FrameType, id uint64, flags Flags, n int) []byte {
	dst = bhttp.AppendVarint(dst, uint64(t))
	dst = bhttp.AppendVarint(dst, id)
	dst = append(dst, byte(flags))
	return bhttp.AppendVarint(dst, uint64(n))
}

// AppendRawFrame appends a frame with the given header and payload, checking
// nothing. It exists to test peers with illegal frames.
func AppendRawFrame(dst []byte, t FrameType, streamID uint64, flags Flags, payload []byte) []byte {
	return append(appendHeader(dst, t, streamID, flags, len(payload)), payload...)
}

// ParseFrame decodes msg, which must hold exactly one frame (the
// MessageConn carrier). A Length above maxFrameSize is ErrFrameTooLarge,
// checked before the payload is looked at; maxFrameSize <= 0 means no limit.
// Data aliases msg.
func ParseFrame(msg []byte, maxFrameSize int) (Frame, error) {
	var f Frame
	err := parseFrame(&f, msg, maxFrameSize)
	return f, err
}

func parseFrame(f *Frame, msg []byte, maxFrameSize int) error {
	var hdr [4]uint64
	off := 0
	for i := range hdr {
		if i == 2 {
			if off >= len(msg) {
				return connError(ErrCodeProtocol, ErrFrameTruncated)
			}
			hdr[2] = uint64(msg[off])
			off++
			continue
		}
		v, n := bhttp.ConsumeVarint(msg[off:])
		if n == 0 {
			return connError(ErrCodeProtocol, ErrFrameTruncated)
		}
		hdr[i], off = v, off+n
	}
	*f = Frame{Type: FrameType(hdr[0]), StreamID: hdr[1], Flags: Flags(hdr[2]), Settings: f.Settings[:0]}
	length := hdr[3]
	if maxFrameSize > 0 && length > uint64(maxFrameSize) {
		return connError(ErrCodeFrameSize, wrapf(ErrFrameTooLarge, "length "+strconv.FormatUint(length, 10)+" above "+strconv.Itoa(maxFrameSize)))
	}
	rest := msg[off:]
	if length > uint64(len(rest)) {
		return connError(ErrCodeProtocol, ErrFrameTruncated)
	}
	if length < uint64(len(rest)) {
		return connError(ErrCodeProtocol, ErrFrameTrailingBytes)
	}
	return decodePayload(f, rest)
}

// decodePayload fills f's payload fields from p and validates them.
func decodePayload(f *Frame, p []byte) error {
	if err := checkStreamID(f.Type, f.StreamID); err != nil {
		return err
	}
	bad := func(what string) error {
		return connError(ErrCodeProtocol, wrapf(ErrFramePayload, f.Type.String()+": "+what))
	}
	off := 0
	varint := func() (uint64, bool) {
		v, n := bhttp.ConsumeVarint(p[off:])
		off += n
		return v, n > 0
	}
	reason := func() (string, bool) {
		n, ok := varint()
		if !ok || n > uint64(len(p)-off) {
			return "", false
		}
		s := string(p[off : off+int(n)])
		off += int(n)
		return s, true
	}
	switch f.Type {
	case FrameHello:
		var ok bool
		if f.Version, ok = varint(); !ok {
			return bad("truncated version")
		}
		for off < len(p) {
			id, ok1 := varint()
			val, ok2 := varint()
			if !ok1 || !ok2 {
				return bad("truncated setting")
			}
			for _, s := range f.Settings {
				if s.ID == SettingID(id) {
					return bad("duplicate setting")
				}
			}
			f.Settings = append(f.Settings, Setting{SettingID(id), val})
		}
	case FrameReset:
		c, ok := varint()
		if !ok {
			return bad("truncated code")
		}
		f.Code = ErrCode(c)
		if f.Reason, ok = reason(); !ok {
			return bad("truncated reason")
		}
	case FrameGoAway:
		var ok bool
		if f.LastStreamID, ok = varint(); !ok {
			return bad("truncated last stream id")
		}
		c, ok := varint()
		if !ok {
			return bad("truncated code")
		}
		f.Code = ErrCode(c)
		if f.Reason, ok = reason(); !ok {
			return bad("truncated reason")
		}
	case FramePing:
		if len(p) != PingDataLen {
			return connError(ErrCodeFrameSize, wrapf(ErrFramePayload, "PING payload must be 8 bytes"))
		}
		f.Data = p
		return nil
	case FrameCredit:
		var ok bool
		if f.Increment, ok = varint(); !ok {
			return bad("truncated increment")
		}
		if f.Increment == 0 {
			return bad("zero increment")
		}
	default: // DATA and unknown types
		f.Data = p
		return nil
	}
	if off != len(p) {
		return bad("bytes after payload")
	}
	return nil
}

// Framer reads and writes frames on a byte stream (the stream carrier:
// frames are concatenated with nothing between them). It is not safe for
// concurrent use, except that one goroutine may read while another writes.
type Framer struct {
	// AllowIllegalWrites makes WriteFrame skip the checks of AppendFrame,
	// for testing other implementations.
	AllowIllegalWrites bool

	w       io.Writer
	r       *bufio.Reader
	maxRead int
	// helloFirst rejects a first frame that is not HELLO on its header,
	// before waiting for a payload (a stray HTTP/1.1 client fails fast).
	helloFirst bool
	frame      Frame
	rbuf       []byte
	wbuf       []byte
	peeked     int // payload bytes still in r, lent out by the last ReadFrame
}

// NewFramer returns a Framer writing to w and reading from r, with
// DefaultMaxFrameSize as read limit. Writes are not buffered: give it a
// *bufio.Writer and flush it to batch them.
func NewFramer(w io.Writer, r io.Reader) *Framer {
	fr := &Framer{w: w, maxRead: DefaultMaxFrameSize}
	if r != nil {
		br, ok := r.(*bufio.Reader)
		if !ok {
			br = bufio.NewReaderSize(r, 64<<10)
		}
		fr.r = br
	}
	return fr
}

// SetMaxReadFrameSize sets the largest Length ReadFrame accepts. Longer
// frames are rejected with ErrFrameTooLarge before any payload is read or
// allocated.
func (fr *Framer) SetMaxReadFrameSize(n int) { fr.maxRead = n }

// ReadFrame reads the next frame. The Frame is owned by the Framer and valid
// until the next call. At a frame boundary the end of the stream is io.EOF;
// inside a frame it is io.ErrUnexpectedEOF. A frame that is too large comes
// back with its header filled in and an error wrapping ErrFrameTooLarge;
// the stream is then unusable (the payload was not consumed).
func (fr *Framer) ReadFrame() (*Frame, error) {
	f := &fr.frame
	if fr.peeked > 0 {
		fr.r.Discard(fr.peeked) // the previous payload, read in place
		fr.peeked = 0
	}
	var hdr [4]uint64
	for i := range hdr {
		var err error
		if i == 2 {
			var c byte
			c, err = fr.r.ReadByte()
			hdr[2] = uint64(c)
		} else {
			hdr[i], err = readVarint(fr.r)
		}
		if err != nil {
			if err == io.EOF && i > 0 {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
	*f = Frame{Type: FrameType(hdr[0]), StreamID: hdr[1], Flags: Flags(hdr[2]), Settings: f.Settings[:0]}
	length := hdr[3]
	if fr.helloFirst {
		fr.helloFirst = false
		if f.Type != FrameHello {
			return nil, protoErr(ErrHandshake, "first frame is "+f.Type.String())
		}
	}
	if length > uint64(fr.maxRead) {
		return f, connError(ErrCodeFrameSize, wrapf(ErrFrameTooLarge, "length "+strconv.FormatUint(length, 10)+" above "+strconv.Itoa(fr.maxRead)))
	}
	n := int(length)
	var p []byte
	if n <= fr.r.Size() {
		// Read in place: the payload stays in the reader's buffer until
		// the next call, saving a copy.
		var err error
		if p, err = fr.r.Peek(n); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		fr.peeked = n
	} else {
		if cap(fr.rbuf) < n {
			fr.rbuf = make([]byte, n)
		}
		p = fr.rbuf[:n]
		if _, err := io.ReadFull(fr.r, p); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
	if err := decodePayload(f, p); err != nil {
		return nil, err
	}
	return f, nil
}

func readVarint(r *bufio.Reader) (uint64, error) {
	c, err := r.ReadByte()
	if err != nil {
		return 0, err
	}
	n := 1 << (c >> 6)
	v := uint64(c & 0x3f)
	for i := 1; i < n; i++ {
		c, err := r.ReadByte()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
		v = v<<8 | uint64(c)
	}
	return v, nil
}

// WriteFrame encodes f and writes it with one Write call.
func (fr *Framer) WriteFrame(f *Frame) error {
	if !fr.AllowIllegalWrites {
		if err := f.check(); err != nil {
			return err
		}
	}
	fr.wbuf = appendFrame(fr.wbuf[:0], f)
	_, err := fr.w.Write(fr.wbuf)
	return err
}
