package ipcsuite

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/appwire/appwire/httpipc/bhttp"
)

// The suite reads the target's frames with its own parser, not the httpipc
// codec, so a codec bug cannot hide a server bug. Frames it sends are built
// with the httpipc frame layer (AppendFrame, AppendRawFrame) or by hand.

// Frame types, flags, settings and error codes of protocol version 1
// (httpipc spec §3.2, §3.6).
const (
	tHello  = 0x0
	tData   = 0x1
	tReset  = 0x2
	tGoAway = 0x3
	tPing   = 0x4
	tCredit = 0x5

	flagEnd = 0x1 // DATA: END_STREAM
	flagAck = 0x1 // PING: ACK

	sMaxFrameSize   = 0x1
	sMaxStreams     = 0x2
	sMaxHeaderBytes = 0x3
	sStreamCredit   = 0x4
	sConnCredit     = 0x5

	codeNo              = 0x0
	codeProtocol        = 0x1
	codeInternal        = 0x2
	codeCancel          = 0x3
	codeRefused         = 0x4
	codeFrameSize       = 0x5
	codeHeaderLimit     = 0x6
	codeMessageTooLarge = 0x7

	minFrameSize = 1024
)

var typeNames = map[uint64]string{tHello: "HELLO", tData: "DATA", tReset: "RESET", tGoAway: "GOAWAY", tPing: "PING", tCredit: "CREDIT"}

var codeNames = []string{"NO_ERROR", "PROTOCOL", "INTERNAL", "CANCEL", "REFUSED_STREAM", "FRAME_SIZE",
	"HEADER_LIMIT", "MESSAGE_TOO_LARGE", "TIMEOUT", "UNAUTHORIZED_PEER"}

func codeName(c uint64) string {
	if c < uint64(len(codeNames)) {
		return codeNames[c]
	}
	return "0x" + strconv.FormatUint(c, 16)
}

var settingNames = map[uint64]string{sMaxFrameSize: "max_frame_size", sMaxStreams: "max_concurrent_streams",
	sMaxHeaderBytes: "max_header_bytes", sStreamCredit: "initial_stream_credit", sConnCredit: "initial_conn_credit"}

// frame is one frame as read from the wire.
type frame struct {
	typ     uint64
	sid     uint64
	flags   byte
	payload []byte
}

// errFrameTooLong: a frame's Length is above what the reader accepts.
type errFrameTooLong struct{ typ, sid, length uint64 }

func (e *errFrameTooLong) Error() string {
	return fmt.Sprintf("%s frame on stream %d with length %d", typeName(e.typ), e.sid, e.length)
}

// readFrame reads one frame; a Length above max is an *errFrameTooLong,
// checked before the payload is read. At a frame boundary the end of the
// stream is io.EOF, inside a frame io.ErrUnexpectedEOF.
func readFrame(r *bufio.Reader, max uint64) (frame, error) {
	var hdr [4]uint64
	for i := range hdr {
		if i == 2 {
			c, err := r.ReadByte()
			if err != nil {
				return frame{}, unexpected(err)
			}
			hdr[2] = uint64(c)
			continue
		}
		v, err := readVarint(r)
		if err != nil {
			if i > 0 {
				err = unexpected(err)
			}
			return frame{}, err
		}
		hdr[i] = v
	}
	f := frame{typ: hdr[0], sid: hdr[1], flags: byte(hdr[2])}
	if hdr[3] > max {
		return f, &errFrameTooLong{f.typ, f.sid, hdr[3]}
	}
	f.payload = make([]byte, hdr[3])
	if _, err := io.ReadFull(r, f.payload); err != nil {
		return frame{}, unexpected(err)
	}
	return f, nil
}

// readVarint reads one QUIC varint with bhttp's decoder: the first byte
// says how many follow.
func readVarint(r *bufio.Reader) (uint64, error) {
	first, err := r.Peek(1)
	if err != nil {
		return 0, err
	}
	b, err := r.Peek(1 << (first[0] >> 6))
	if err != nil {
		return 0, unexpected(err)
	}
	v, n := bhttp.ConsumeVarint(b)
	_, _ = r.Discard(n)
	return v, nil
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// encode returns the wire form of f (minimal varints).
func (f *frame) encode() []byte {
	b := bhttp.AppendVarint(nil, f.typ)
	b = bhttp.AppendVarint(b, f.sid)
	b = append(b, f.flags)
	b = bhttp.AppendVarint(b, uint64(len(f.payload)))
	return append(b, f.payload...)
}

func typeName(t uint64) string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	return "TYPE_0x" + strconv.FormatUint(t, 16)
}

// setting is one HELLO setting.
type setting struct{ id, value uint64 }

// hello decodes a HELLO payload: version and settings in wire order.
func (f *frame) hello() (version uint64, settings []setting, err error) {
	p := f.payload
	v, n := bhttp.ConsumeVarint(p)
	if n == 0 {
		return 0, nil, errors.New("HELLO payload has no version")
	}
	p = p[n:]
	for len(p) > 0 {
		id, n1 := bhttp.ConsumeVarint(p)
		if n1 == 0 {
			return v, settings, errors.New("HELLO setting truncated")
		}
		val, n2 := bhttp.ConsumeVarint(p[n1:])
		if n2 == 0 {
			return v, settings, errors.New("HELLO setting value truncated")
		}
		settings = append(settings, setting{id, val})
		p = p[n1+n2:]
	}
	return v, settings, nil
}

// reset decodes a RESET payload.
func (f *frame) reset() (code uint64, reason string, err error) {
	code, n := bhttp.ConsumeVarint(f.payload)
	if n == 0 {
		return 0, "", errors.New("RESET payload truncated")
	}
	reason, err = reasonAt(f.payload[n:])
	return code, reason, err
}

// goAway decodes a GOAWAY payload.
func (f *frame) goAway() (last, code uint64, reason string, err error) {
	last, n := bhttp.ConsumeVarint(f.payload)
	if n == 0 {
		return 0, 0, "", errors.New("GOAWAY payload truncated")
	}
	code, m := bhttp.ConsumeVarint(f.payload[n:])
	if m == 0 {
		return 0, 0, "", errors.New("GOAWAY payload truncated")
	}
	reason, err = reasonAt(f.payload[n+m:])
	return last, code, reason, err
}

func reasonAt(p []byte) (string, error) {
	l, n := bhttp.ConsumeVarint(p)
	if n == 0 || uint64(len(p)-n) != l {
		return "", errors.New("reason length does not match the payload")
	}
	return string(p[n:]), nil
}

// credit decodes a CREDIT payload.
func (f *frame) credit() (uint64, error) {
	v, n := bhttp.ConsumeVarint(f.payload)
	if n == 0 || n != len(f.payload) || v == 0 {
		return 0, errors.New("CREDIT payload is not one non-zero varint")
	}
	return v, nil
}

// String is the compact description used in wire logs.
func (f *frame) String() string {
	var b strings.Builder
	b.WriteString(typeName(f.typ))
	if f.sid != 0 || f.typ == tData || f.typ == tReset || f.typ == tCredit {
		fmt.Fprintf(&b, " s=%d", f.sid)
	}
	switch f.typ {
	case tData:
		if f.flags&flagEnd != 0 {
			b.WriteString(" END_STREAM")
		}
		fmt.Fprintf(&b, " len=%d %s", len(f.payload), preview(f.payload))
	case tHello:
		v, ss, err := f.hello()
		fmt.Fprintf(&b, " version=%d", v)
		for _, s := range ss {
			name := settingNames[s.id]
			if name == "" {
				name = "0x" + strconv.FormatUint(s.id, 16)
			}
			fmt.Fprintf(&b, " %s=%d", name, s.value)
		}
		if err != nil {
			fmt.Fprintf(&b, " (%v)", err)
		}
	case tReset:
		code, reason, err := f.reset()
		fmt.Fprintf(&b, " %s", codeName(code))
		if reason != "" {
			fmt.Fprintf(&b, " %q", reason)
		}
		if err != nil {
			fmt.Fprintf(&b, " (%v)", err)
		}
	case tGoAway:
		last, code, reason, err := f.goAway()
		fmt.Fprintf(&b, " last=%d %s", last, codeName(code))
		if reason != "" {
			fmt.Fprintf(&b, " %q", reason)
		}
		if err != nil {
			fmt.Fprintf(&b, " (%v)", err)
		}
	case tPing:
		if f.flags&flagAck != 0 {
			b.WriteString(" ACK")
		}
		fmt.Fprintf(&b, " %x", f.payload)
	case tCredit:
		inc, err := f.credit()
		fmt.Fprintf(&b, " +%d", inc)
		if err != nil {
			fmt.Fprintf(&b, " (%v)", err)
		}
	default:
		fmt.Fprintf(&b, " flags=0x%02x len=%d %s", f.flags, len(f.payload), preview(f.payload))
	}
	return b.String()
}

// preview shows the start of a payload in hex.
func preview(p []byte) string {
	const max = 40
	if len(p) <= max {
		return hex.EncodeToString(p)
	}
	return hex.EncodeToString(p[:max]) + "…"
}
