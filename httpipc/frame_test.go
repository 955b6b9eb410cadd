package httpipc

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// goldenFrames holds one encoding of each frame type, byte for byte.
var goldenFrames = []struct {
	name string
	f    Frame
	hex  string
}{
	{"hello", Frame{Type: FrameHello, Version: 1, Settings: []Setting{
		{SettingMaxFrameSize, 16384}, {SettingMaxConcurrentStreams, 100}, {SettingMaxHeaderBytes, 65536},
		{SettingInitialStreamCredit, 262144}, {SettingInitialConnCredit, 1 << 20},
	}},
		// type 0, stream 0, flags 0, length 24; version 1; five id/value pairs.
		"00" + "00" + "00" + "18" + "01" + "01" + "80004000" + "02" + "4064" + "03" + "80010000" + "04" + "80040000" + "05" + "80100000"},
	{"data", Frame{Type: FrameData, StreamID: 1, Data: []byte("hi")}, "01" + "01" + "00" + "02" + "6869"},
	{"data end", Frame{Type: FrameData, StreamID: 3, Flags: FlagEndStream, Data: []byte{}}, "01" + "03" + "01" + "00"},
	{"reset", Frame{Type: FrameReset, StreamID: 5, Code: ErrCodeCancel, Reason: "bye"}, "02" + "05" + "00" + "05" + "03" + "03" + "627965"},
	{"goaway", Frame{Type: FrameGoAway, LastStreamID: 7, Code: ErrCodeNo, Reason: ""}, "03" + "00" + "00" + "03" + "07" + "00" + "00"},
	{"ping", Frame{Type: FramePing, Data: []byte("12345678")}, "04" + "00" + "00" + "08" + "3132333435363738"},
	{"ping ack", Frame{Type: FramePing, Flags: FlagAck, Data: []byte("12345678")}, "04" + "00" + "01" + "08" + "3132333435363738"},
	{"credit conn", Frame{Type: FrameCredit, Increment: 16384}, "05" + "00" + "00" + "04" + "80004000"},
	{"credit stream", Frame{Type: FrameCredit, StreamID: 64, Increment: 63}, "05" + "4040" + "00" + "01" + "3f"},
	{"unknown", Frame{Type: 0x21, StreamID: 2, Flags: 0x80, Data: []byte{0xaa}}, "21" + "02" + "80" + "01" + "aa"},
}

func TestFrameGolden(t *testing.T) {
	for _, tt := range goldenFrames {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AppendFrame(nil, &tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if h := hex.EncodeToString(got); h != tt.hex {
				t.Fatalf("AppendFrame = %s\n                want %s", h, tt.hex)
			}
			// Parse back as a message and from a stream.
			pf, err := ParseFrame(got, DefaultMaxFrameSize)
			if err != nil {
				t.Fatal(err)
			}
			if !framesEqual(&pf, &tt.f) {
				t.Errorf("ParseFrame = %+v, want %+v", pf, tt.f)
			}
			var buf bytes.Buffer
			fr := NewFramer(&buf, &buf)
			if err := fr.WriteFrame(&tt.f); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), got) {
				t.Fatalf("WriteFrame wrote %x", buf.Bytes())
			}
			rf, err := fr.ReadFrame()
			if err != nil {
				t.Fatal(err)
			}
			if !framesEqual(rf, &tt.f) {
				t.Errorf("ReadFrame = %+v, want %+v", *rf, tt.f)
			}
			if _, err := fr.ReadFrame(); err != io.EOF {
				t.Errorf("ReadFrame at end = %v, want io.EOF", err)
			}
		})
	}
}

// framesEqual compares frames treating nil and empty slices alike.
func framesEqual(a, b *Frame) bool {
	x, y := *a, *b
	if len(x.Data) == 0 {
		x.Data = nil
	}
	if len(y.Data) == 0 {
		y.Data = nil
	}
	if len(x.Settings) == 0 {
		x.Settings = nil
	}
	if len(y.Settings) == 0 {
		y.Settings = nil
	}
	return reflect.DeepEqual(x, y)
}

// TestFrameVarintBoundaries encodes stream ids and lengths at every varint
// size change and checks the header bytes and the round trip.
func TestFrameVarintBoundaries(t *testing.T) {
	tests := []struct {
		v   uint64
		hex string
	}{
		{63, "3f"}, {64, "4040"},
		{16383, "7fff"}, {16384, "80004000"},
		{1<<30 - 1, "bfffffff"}, {1 << 30, "c000000040000000"},
		{1<<62 - 1, "ffffffffffffffff"},
	}
	for _, tt := range tests {
		// Stream id.
		f := Frame{Type: FrameCredit, StreamID: tt.v, Increment: 1}
		b, err := AppendFrame(nil, &f)
		if err != nil {
			t.Fatal(err)
		}
		if want := "05" + tt.hex + "00" + "01" + "01"; hex.EncodeToString(b) != want {
			t.Errorf("stream id %d: %x, want %s", tt.v, b, want)
		}
		if pf, err := ParseFrame(b, 0); err != nil || pf.StreamID != tt.v {
			t.Errorf("stream id %d: parsed %d, %v", tt.v, pf.StreamID, err)
		}
		// Length: the header of a DATA frame whose payload is tt.v bytes.
		// Only build payloads up to 2^14+1 bytes; larger are header-only.
		h := appendHeader(nil, FrameData, 1, 0, int(tt.v))
		if want := "01" + "01" + "00" + tt.hex; hex.EncodeToString(h) != want {
			t.Errorf("length %d: header %x, want %s", tt.v, h, want)
		}
		if tt.v <= 16384 {
			msg := AppendRawFrame(nil, FrameData, 1, 0, make([]byte, tt.v))
			if pf, err := ParseFrame(msg, 16384); err != nil || uint64(len(pf.Data)) != tt.v {
				t.Errorf("length %d: parsed %d bytes, %v", tt.v, len(pf.Data), err)
			}
			if tt.v == 16384 {
				if _, err := ParseFrame(msg, 16383); !errors.Is(err, ErrFrameTooLarge) {
					t.Errorf("length 16384 with limit 16383: %v, want ErrFrameTooLarge", err)
				}
			}
		} else {
			// The limit is checked on the header alone: no payload follows.
			fr := NewFramer(nil, bytes.NewReader(h))
			fr.SetMaxReadFrameSize(16384)
			hf, err := fr.ReadFrame()
			if !errors.Is(err, ErrFrameTooLarge) || hf == nil || hf.Type != FrameData || hf.StreamID != 1 {
				t.Errorf("length %d: ReadFrame = %v, %v; want header and ErrFrameTooLarge", tt.v, hf, err)
			}
		}
	}
}

// TestFrameErrors asserts the sentinel and code of each malformed frame.
func TestFrameErrors(t *testing.T) {
	tests := []struct {
		name string
		hex  string
		max  int
		want error
		code ErrCode
	}{
		{"empty message", "", 0, ErrFrameTruncated, ErrCodeProtocol},
		{"header cut in varint", "0140", 0, ErrFrameTruncated, ErrCodeProtocol},
		{"no flags byte", "0101", 0, ErrFrameTruncated, ErrCodeProtocol},
		{"payload shorter than length", "0101000568", 0, ErrFrameTruncated, ErrCodeProtocol},
		{"bytes after frame", "010100016869", 0, ErrFrameTrailingBytes, ErrCodeProtocol},
		{"too large", "0101004401" + strings.Repeat("00", 1025), 1024, ErrFrameTooLarge, ErrCodeFrameSize},
		{"too large, huge length, no payload", "010100ffffffffffffffff", 1024, ErrFrameTooLarge, ErrCodeFrameSize},
		{"DATA on stream 0", "01000000", 0, ErrFrameStreamID, ErrCodeProtocol},
		{"RESET on stream 0", "0200000200" + "00", 0, ErrFrameStreamID, ErrCodeProtocol},
		{"HELLO on stream 1", "0001000101", 0, ErrFrameStreamID, ErrCodeProtocol},
		{"GOAWAY on stream 1", "030100030000" + "00", 0, ErrFrameStreamID, ErrCodeProtocol},
		{"PING on stream 1", "04010008" + "0000000000000000", 0, ErrFrameStreamID, ErrCodeProtocol},
		{"PING of 7 bytes", "04000007" + "00000000000000", 0, ErrFramePayload, ErrCodeFrameSize},
		{"HELLO without version", "00000000", 0, ErrFramePayload, ErrCodeProtocol},
		{"HELLO half setting", "0000000201" + "01", 0, ErrFramePayload, ErrCodeProtocol},
		{"HELLO duplicate setting", "00000005" + "01" + "0101" + "0102", 0, ErrFramePayload, ErrCodeProtocol},
		{"RESET reason overruns", "02010003" + "00" + "05" + "61", 0, ErrFramePayload, ErrCodeProtocol},
		{"RESET trailing", "02010003" + "00" + "00" + "00", 0, ErrFramePayload, ErrCodeProtocol},
		{"GOAWAY without code", "03000001" + "01", 0, ErrFramePayload, ErrCodeProtocol},
		{"CREDIT zero", "05000001" + "00", 0, ErrFramePayload, ErrCodeProtocol},
		{"CREDIT empty", "05000000", 0, ErrFramePayload, ErrCodeProtocol},
		{"CREDIT trailing", "05000002" + "0101", 0, ErrFramePayload, ErrCodeProtocol},
	}
	for _, tt := range tests {
		msg, err := hex.DecodeString(tt.hex)
		if err != nil {
			t.Fatal(tt.name, err)
		}
		_, err = ParseFrame(msg, tt.max)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: ParseFrame error %v, want %v", tt.name, err, tt.want)
			continue
		}
		var ce *ConnectionError
		if !errors.As(err, &ce) || ce.Code != tt.code {
			t.Errorf("%s: error %v, want a ConnectionError with code %v", tt.name, err, tt.code)
		}
		if code, ok := ErrorCode(err); !ok || code != tt.code {
			t.Errorf("%s: ErrorCode = %v, %v", tt.name, code, ok)
		}
		// The stream Framer agrees, except on what only a message can show.
		if tt.want == ErrFrameTrailingBytes || tt.want == ErrFrameTruncated {
			continue
		}
		fr := NewFramer(nil, bytes.NewReader(msg))
		if tt.max > 0 {
			fr.SetMaxReadFrameSize(tt.max)
		}
		if _, err := fr.ReadFrame(); !errors.Is(err, tt.want) {
			t.Errorf("%s: ReadFrame error %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestFramerTruncatedStream(t *testing.T) {
	full, _ := AppendFrame(nil, &Frame{Type: FrameData, StreamID: 1, Data: []byte("hello")})
	for i := 1; i < len(full); i++ {
		fr := NewFramer(nil, bytes.NewReader(full[:i]))
		if _, err := fr.ReadFrame(); err != io.ErrUnexpectedEOF {
			t.Errorf("cut at %d: %v, want io.ErrUnexpectedEOF", i, err)
		}
	}
}

func TestAppendFrameRejects(t *testing.T) {
	bad := []Frame{
		{Type: FrameData},
		{Type: FrameReset},
		{Type: FrameHello, StreamID: 1},
		{Type: FramePing, Data: []byte{1}},
		{Type: FrameCredit},
		{Type: FrameHello, Settings: []Setting{{1, 1}, {1, 2}}},
		{Type: FrameData, StreamID: 1 << 62},
	}
	for i, f := range bad {
		if b, err := AppendFrame([]byte("x"), &f); err == nil || string(b) != "x" {
			t.Errorf("%d: AppendFrame(%+v) = %x, %v; want an error and dst unchanged", i, f, b, err)
		}
	}
	var buf bytes.Buffer
	fr := NewFramer(&buf, nil)
	fr.AllowIllegalWrites = true
	if err := fr.WriteFrame(&Frame{Type: FrameData}); err != nil || buf.Len() != 4 {
		t.Errorf("AllowIllegalWrites: %v, wrote %x", err, buf.Bytes())
	}
}

func TestErrCodeString(t *testing.T) {
	want := []string{"NO_ERROR", "PROTOCOL", "INTERNAL", "CANCEL", "REFUSED_STREAM",
		"FRAME_SIZE", "HEADER_LIMIT", "MESSAGE_TOO_LARGE", "TIMEOUT", "UNAUTHORIZED_PEER"}
	for i, w := range want {
		if got := ErrCode(i).String(); got != w {
			t.Errorf("ErrCode(%d) = %q, want %q", i, got, w)
		}
	}
	if got := ErrCode(0x1f).String(); got != "ERR_CODE_0x1f" {
		t.Errorf("unknown code: %q", got)
	}
	if got := FrameType(9).String(); got != "UNKNOWN_FRAME_TYPE_0x9" {
		t.Errorf("unknown type: %q", got)
	}
}

var genFrame = rapid.Custom(func(t *rapid.T) Frame {
	vint := func(label string) uint64 {
		// Favour the varint size boundaries.
		return rapid.OneOf(rapid.Uint64Range(0, 70), rapid.Uint64Range(16380, 16390),
			rapid.Uint64Range(1<<30-3, 1<<30+3), rapid.Uint64Range(0, 1<<62-1)).Draw(t, label)
	}
	typ := FrameType(rapid.Uint64Range(0, 8).Draw(t, "type"))
	f := Frame{Type: typ, Flags: Flags(rapid.Byte().Draw(t, "flags"))}
	switch typ {
	case FrameHello, FrameGoAway, FramePing:
	default:
		f.StreamID = vint("id")
		if f.StreamID == 0 && (typ == FrameData || typ == FrameReset) {
			f.StreamID = 1
		}
	}
	switch typ {
	case FrameHello:
		f.Version = vint("version")
		n := rapid.IntRange(0, 6).Draw(t, "nsettings")
		for i := 0; i < n; i++ {
			f.Settings = append(f.Settings, Setting{SettingID(i*7 + int(rapid.IntRange(0, 6).Draw(t, "sid"))), vint("sval")})
		}
	case FrameReset, FrameGoAway:
		f.Code = ErrCode(vint("code"))
		f.Reason = rapid.String().Draw(t, "reason")
		if typ == FrameGoAway {
			f.LastStreamID = vint("last")
		}
	case FramePing:
		f.Data = rapid.SliceOfN(rapid.Byte(), 8, 8).Draw(t, "ping")
	case FrameCredit:
		f.Increment = vint("inc")
		if f.Increment == 0 {
			f.Increment = 1
		}
	default:
		f.Data = rapid.SliceOfN(rapid.Byte(), 0, 100).Draw(t, "data")
	}
	return f
})

func TestFrameRoundTripRapid(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		f := genFrame.Draw(t, "frame")
		b, err := AppendFrame(nil, &f)
		if err != nil {
			t.Fatalf("AppendFrame: %v", err)
		}
		pf, err := ParseFrame(b, 0)
		if err != nil {
			t.Fatalf("ParseFrame(%x): %v", b, err)
		}
		if !framesEqual(&pf, &f) {
			t.Fatalf("round trip: %+v, want %+v", pf, f)
		}
		// Two frames back to back through a Framer.
		fr := NewFramer(nil, bytes.NewReader(append(b, b...)))
		fr.SetMaxReadFrameSize(1 << 20)
		for i := 0; i < 2; i++ {
			rf, err := fr.ReadFrame()
			if err != nil || !framesEqual(rf, &f) {
				t.Fatalf("ReadFrame %d: %+v, %v", i, rf, err)
			}
		}
	})
}

// FuzzFrames parses a message as a frame; when that succeeds the frame must
// re-encode to a message that parses to the same frame, the payload must
// respect the limit, and the stream Framer must agree with ParseFrame.
func FuzzFrames(f *testing.F) {
	for _, g := range goldenFrames {
		b, _ := hex.DecodeString(g.hex)
		f.Add(b, uint16(1024))
	}
	f.Add([]byte{0x01, 0x01, 0x00, 0x44, 0x01}, uint16(1024))
	f.Fuzz(func(t *testing.T, msg []byte, max uint16) {
		limit := int(max)
		if limit == 0 {
			limit = 1
		}
		fr, err := ParseFrame(msg, limit)
		sfr := NewFramer(nil, bytes.NewReader(msg))
		sfr.SetMaxReadFrameSize(limit)
		sf, serr := sfr.ReadFrame()
		if err != nil {
			if errors.Is(err, ErrFrameTooLarge) && !errors.Is(serr, ErrFrameTooLarge) {
				t.Fatalf("ParseFrame: %v, Framer: %v", err, serr)
			}
			var ce *ConnectionError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v is not a ConnectionError", err)
			}
			return
		}
		if serr != nil {
			t.Fatalf("ParseFrame ok, Framer: %v", serr)
		}
		if !framesEqual(&fr, sf) {
			t.Fatalf("ParseFrame %+v, Framer %+v", fr, *sf)
		}
		if fr.payloadLen() > limit {
			t.Fatalf("payload %d bytes above limit %d", fr.payloadLen(), limit)
		}
		b, err := AppendFrame(nil, &fr)
		if err != nil {
			t.Fatalf("parsed frame does not re-encode: %v", err)
		}
		if len(b) > len(msg) {
			t.Fatalf("re-encoding grew: %d > %d bytes", len(b), len(msg))
		}
		fr2, err := ParseFrame(b, limit)
		if err != nil || !framesEqual(&fr, &fr2) {
			t.Fatalf("re-parse: %+v, %v; want %+v", fr2, err, fr)
		}
	})
}
