package limpwire

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// MaxFrameSize is the largest client message a 6.0 server reads: the
// 4 MiB default of its WebSocket library. A bigger message closes the
// connection (WebSocket close code 1009).
const MaxFrameSize = 4 << 20

// Frame is the outer JSON object a client sends:
// {"token": "<compact JWS>", "call_id": "<id>"}. The outer call_id only
// labels the error reply when the token cannot be verified.
type Frame struct {
	Token     []byte // the compact JWS
	CallID    string // the outer call_id ("" when absent or not a string)
	HasCallID bool   // the frame had a string or numeric call_id
}

// ParseFrame decodes one client message. It fails with ErrMalformedFrame
// when b is larger than limit (MaxFrameSize when limit <= 0) or not a
// JSON object, and with ErrMalformedToken (the Frame's call_id filled
// in) when its token is missing or not a string.
func ParseFrame(b []byte, limit int) (Frame, error) {
	if limit <= 0 {
		limit = MaxFrameSize
	}
	if len(b) > limit {
		return Frame{}, perr(ErrMalformedFrame, "larger than "+strconv.Itoa(limit)+" bytes")
	}
	if f, ok := parseSDKFrame(b); ok {
		return f, nil
	}
	return parseFrameJSON(b)
}

// parseSDKFrame reads the frame as the SDK writes it,
// {"token":"<JWS>","call_id":"<id>"} with a printable-ASCII id, without
// encoding/json; anything else is left to parseFrameJSON, which gives the
// same result for these bytes (FuzzParseFrame checks it).
func parseSDKFrame(b []byte) (Frame, bool) {
	const p1, p2 = `{"token":"`, `","call_id":"`
	if !bytes.HasPrefix(b, []byte(p1)) {
		return Frame{}, false
	}
	rest := b[len(p1):]
	i := bytes.IndexByte(rest, '"')
	if i < 0 {
		return Frame{}, false
	}
	tok := rest[:i]
	for _, c := range tok {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return Frame{}, false
		}
	}
	rest = rest[i:]
	if !bytes.HasPrefix(rest, []byte(p2)) {
		return Frame{}, false
	}
	rest = rest[len(p2):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 || len(rest) != j+2 || rest[j+1] != '}' {
		return Frame{}, false
	}
	id := rest[:j]
	for _, c := range id {
		if c < 0x20 || c > 0x7e || c == '\\' {
			return Frame{}, false
		}
	}
	return Frame{Token: bytes.Clone(tok), CallID: string(id), HasCallID: true}, true
}

func parseFrameJSON(b []byte) (Frame, error) {
	var raw map[string]json.RawMessage
	d := json.NewDecoder(bytes.NewReader(b))
	if err := d.Decode(&raw); err != nil || raw == nil || d.More() {
		return Frame{}, perr(ErrMalformedFrame, "not a JSON object")
	}
	var f Frame
	switch id := raw["call_id"]; {
	case len(id) > 0 && id[0] == '"':
		if json.Unmarshal(id, &f.CallID) == nil {
			f.HasCallID = true
		}
	case len(id) > 0 && (id[0] == '-' || id[0] >= '0' && id[0] <= '9'):
		f.CallID, f.HasCallID = string(id), true
	}
	tok, ok := raw["token"]
	var s string
	if !ok || json.Unmarshal(tok, &s) != nil {
		return f, perr(ErrMalformedToken, "token is missing or not a string")
	}
	f.Token = []byte(s)
	return f, nil
}

// AppendFrame appends the frame that carries token for callID, in the
// SDK's member order.
func AppendFrame(b []byte, token []byte, callID string) []byte {
	b = append(b, `{"token":"`...)
	b = append(b, token...) // base64url and dots: nothing to escape
	b = append(b, `","call_id":`...)
	b = appendJSString(b, callID)
	return append(b, '}')
}

// AppendSignedFrame encodes c, signs it with k and appends the frame.
func AppendSignedFrame(b []byte, k *Key, c *Call) ([]byte, error) {
	p, err := c.AppendPayload(make([]byte, 0, 256))
	if err != nil {
		return b, err
	}
	b = append(b, `{"token":"`...)
	b = k.AppendSign(b, p)
	b = append(b, `","call_id":`...)
	b = appendJSString(b, c.CallID)
	return append(b, '}'), nil
}
