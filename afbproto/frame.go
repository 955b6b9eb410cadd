package afbproto

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// FrameType is the code in the first element of an x-afb-ws-json1 frame.
type FrameType uint8

// Frame types (spec §4.2).
const (
	FrameCall       FrameType = 2 // C→S [2,"ID","api/verb",ARGS(,"TOKEN")]
	FrameReplyOK    FrameType = 3 // S→C [3,"ID",REPLY(,"NEWTOKEN")]
	FrameReplyError FrameType = 4 // S→C [4,"ID",REPLY(,"NEWTOKEN")]
	FrameEvent      FrameType = 5 // S→C [5,"api/event",EVENT]
)

func (t FrameType) String() string {
	switch t {
	case FrameCall:
		return "call"
	case FrameReplyOK:
		return "reply-ok"
	case FrameReplyError:
		return "reply-error"
	case FrameEvent:
		return "event"
	}
	return fmt.Sprintf("FrameType(%d)", uint8(t))
}

// Subprotocol is the WebSocket subprotocol of the frames.
const Subprotocol = "x-afb-ws-json1"

// maxElements is the largest element count the reference scanner accepts.
const maxElements = 10

// Frame is one x-afb-ws-json1 message.
//
// The text fields (ID, API, Verb, Token, Event) hold the element text with
// its surrounding quotes stripped and nothing unescaped, because upstream
// echoes them textually: the ID 1 comes back as "1", and "a\"b" as
// "a\"b". The encoder wraps them in quotes again as they are.
//
// After Parse, every []byte field aliases the parsed input, except Payload
// when the arguments of a call were not JSON (it then points into a buffer
// owned by f that the next Parse reuses). Copy what must outlive the input.
type Frame struct {
	Type    FrameType
	ID      []byte          // call, replies
	API     []byte          // call: text before the first '/' (may be empty)
	Verb    []byte          // call: text after the first '/'
	Event   []byte          // event: "api/name"
	Payload json.RawMessage // call: arguments; reply: afb-reply object; event: afb-event object
	Token   []byte          // call: per-call token; reply: refreshed token; nil when absent

	scratch []byte
}

// Reset clears f, keeping its buffer.
func (f *Frame) Reset() {
	*f = Frame{scratch: f.scratch[:0]}
}

// HasToken reports whether the optional last element (call token or
// refreshed token) is present.
func (f *Frame) HasToken() bool { return f.Token != nil }

// element is one element of the top-level array: start and end offsets of
// its text with surrounding spaces removed.
type element struct{ start, end int }

// Parse parses one frame, tolerant where the reference scanner is (spec
// §4.2): only spaces are skipped around elements; ID, api/verb, token and
// event name are taken textually; call arguments that are not JSON become a
// JSON string of their text. Errors are *ParseError wrapping
// ErrMalformedFrame, ErrFrameType, ErrElementCount, ErrBadMethod or
// ErrMalformedJSON. f aliases b afterwards.
func (f *Frame) Parse(b []byte) error {
	f.Reset()
	var els [maxElements]element
	n, err := splitElements(b, &els)
	if err != nil {
		return err
	}
	if n == 0 {
		return perr(ErrElementCount, 0, "empty array")
	}
	code := b[els[0].start:els[0].end]
	if len(code) != 1 || code[0] < '2' || code[0] > '5' {
		return perr(ErrFrameType, els[0].start, "the code must be one character 2-5")
	}
	f.Type = FrameType(code[0] - '0')
	text := func(e element) []byte { return unquote(b[e.start:e.end]) }
	switch f.Type {
	case FrameCall:
		if n != 4 && n != 5 {
			return perr(ErrElementCount, els[n-1].end, fmt.Sprintf("a call has 4 or 5 elements, not %d", n))
		}
		f.ID = text(els[1])
		method := text(els[2])
		slash := bytes.IndexByte(method, '/')
		switch {
		case slash < 0:
			return perr(ErrBadMethod, els[2].start, "no '/' in api/verb")
		case slash == len(method)-1:
			return perr(ErrBadMethod, els[2].start, "empty verb")
		case method[slash+1] == '/':
			return perr(ErrBadMethod, els[2].start, "verb starts with '/'")
		}
		f.API, f.Verb = method[:slash], method[slash+1:]
		args := b[els[3].start:els[3].end]
		if json.Valid(args) {
			f.Payload = args
		} else {
			f.scratch = appendString(f.scratch[:0], string(args))
			f.Payload = f.scratch
		}
		if n == 5 {
			f.Token = text(els[4])
		}
	case FrameReplyOK, FrameReplyError:
		if n != 3 && n != 4 {
			return perr(ErrElementCount, els[n-1].end, fmt.Sprintf("a reply has 3 or 4 elements, not %d", n))
		}
		f.ID = text(els[1])
		if f.Payload = b[els[2].start:els[2].end]; !isObject(f.Payload) {
			return perr(ErrMalformedJSON, els[2].start, "the reply is not a JSON object")
		}
		if n == 4 {
			f.Token = text(els[3])
		}
	case FrameEvent:
		if n != 3 {
			return perr(ErrElementCount, els[n-1].end, fmt.Sprintf("an event has 3 elements, not %d", n))
		}
		f.Event = text(els[1])
		if f.Payload = b[els[2].start:els[2].end]; !isObject(f.Payload) {
			return perr(ErrMalformedJSON, els[2].start, "the event is not a JSON object")
		}
	}
	return nil
}

func isObject(b []byte) bool { return len(b) > 0 && b[0] == '{' && json.Valid(b) }

// splitElements finds the elements of the top-level array in b.
func splitElements(b []byte, els *[maxElements]element) (int, error) {
	i := skipSpaces(b, 0)
	if i >= len(b) || b[i] != '[' {
		return 0, perr(ErrMalformedFrame, i, "a frame starts with '['")
	}
	i = skipSpaces(b, i+1)
	if i < len(b) && b[i] == ']' {
		if j := skipSpaces(b, i+1); j != len(b) {
			return 0, perr(ErrMalformedFrame, j, "text after the closing ']'")
		}
		return 0, nil
	}
	n := 0
	for {
		start := i
		depth := 0
	scan:
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				// A string that runs to the end leaves no room for ']'.
				if i = skipString(b, i); i >= len(b) {
					return 0, perr(ErrMalformedFrame, start, "unterminated string")
				}
				i--
			case '[', '{':
				depth++
			case '}':
				depth--
			case ']':
				if depth == 0 {
					break scan
				}
				depth--
			case ',':
				if depth == 0 {
					break scan
				}
			}
		}
		if i >= len(b) {
			return 0, perr(ErrMalformedFrame, len(b), "missing ']'")
		}
		end := i
		for end > start && b[end-1] == ' ' {
			end--
		}
		if n == maxElements {
			return 0, perr(ErrElementCount, start, "more than 10 elements")
		}
		els[n] = element{start, end}
		n++
		if b[i] == ']' {
			if j := skipSpaces(b, i+1); j != len(b) {
				return 0, perr(ErrMalformedFrame, j, "text after the closing ']'")
			}
			return n, nil
		}
		i = skipSpaces(b, i+1)
	}
}

func skipSpaces(b []byte, i int) int {
	for i < len(b) && b[i] == ' ' {
		i++
	}
	return i
}

// unquote strips one pair of surrounding quotes, without unescaping.
func unquote(b []byte) []byte {
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' {
		return b[1 : len(b)-1]
	}
	return b
}

// Validate reports whether f can be written back as valid JSON: its text
// fields must be valid JSON string bodies, its Payload valid JSON. The
// reference daemon echoes IDs it parsed textually even when that gives
// broken JSON (an ID with a newline, a stray quote); this package's server
// closes such connections with 1008 instead.
func (f *Frame) Validate() error {
	for _, t := range [...][]byte{f.ID, f.API, f.Verb, f.Event, f.Token} {
		if !validStringBody(t) {
			return perr(ErrUnsafeText, 0, fmt.Sprintf("%q", t))
		}
	}
	if !json.Valid(f.Payload) {
		return perr(ErrMalformedJSON, 0, "payload")
	}
	return nil
}

// Append appends the wire form of f. Text fields are wrapped in quotes as
// they are and Payload is copied as is (a nil Payload is written as null):
// Append writes whatever f holds, valid or not, which is what conformance
// tests need. Use Validate first to be strict.
func (f *Frame) Append(dst []byte) []byte {
	dst = append(dst, '[', '0'+byte(f.Type), ',', '"')
	switch f.Type {
	case FrameCall:
		dst = append(dst, f.ID...)
		dst = append(dst, '"', ',', '"')
		dst = append(dst, f.API...)
		dst = append(dst, '/')
		dst = append(dst, f.Verb...)
	case FrameEvent:
		dst = append(dst, f.Event...)
	default:
		dst = append(dst, f.ID...)
	}
	dst = append(dst, '"', ',')
	if len(f.Payload) == 0 {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, f.Payload...)
	}
	if f.Token != nil && f.Type != FrameEvent {
		dst = append(dst, ',', '"')
		dst = append(dst, f.Token...)
		dst = append(dst, '"')
	}
	return append(dst, ']')
}

// AppendCall appends a call frame [2,"id","api/verb",args(,"token")]. The
// token element is written only when token is not empty. id, api, verb and
// token are written textually (see Frame); args nil is written as null.
func AppendCall(dst []byte, id, api, verb string, args json.RawMessage, token string) []byte {
	dst = append(dst, `[2,"`...)
	dst = append(dst, id...)
	dst = append(dst, `","`...)
	dst = append(dst, api...)
	dst = append(dst, '/')
	dst = append(dst, verb...)
	dst = append(dst, '"', ',')
	if len(args) == 0 {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, args...)
	}
	if token != "" {
		dst = append(dst, ',', '"')
		dst = append(dst, token...)
		dst = append(dst, '"')
	}
	return append(dst, ']')
}
