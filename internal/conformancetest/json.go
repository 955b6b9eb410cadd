package conformancetest

import (
	"encoding/json"

	"github.com/appwire/appwire/conformance/kit"
	"github.com/gobwas/ws"
)

// Rewriters for JSON messages that change one thing and leave the rest as
// it was on the wire (member order, number spelling), so a mutant flips
// one behaviour only.

// EditObject applies edit to the members of the JSON object raw, in wire
// order, and re-encodes them with the values untouched. raw that is not
// one JSON object is returned unchanged.
func EditObject(raw []byte, edit func(ms []kit.Member) []kit.Member) []byte {
	ms, err := kit.Members(raw)
	if err != nil {
		return raw
	}
	return kit.JoinMembers(edit(ms))
}

// EditMember applies edit to the members of the object that is the value
// of member name (the "request" of an afb reply), when there is one.
func EditMember(ms []kit.Member, name string, edit func(ms []kit.Member) []kit.Member) []kit.Member {
	for i := range ms {
		if ms[i].Name == name {
			ms[i].Value = EditObject(ms[i].Value, edit)
		}
	}
	return ms
}

// Without returns ms without the members called name.
func Without(ms []kit.Member, name string) []kit.Member {
	out := make([]kit.Member, 0, len(ms))
	for _, m := range ms {
		if m.Name != name {
			out = append(out, m)
		}
	}
	return out
}

// Lookup returns the value of member name.
func Lookup(ms []kit.Member, name string) (json.RawMessage, bool) {
	for _, m := range ms {
		if m.Name == name {
			return m.Value, true
		}
	}
	return nil, false
}

// Elements returns the elements of the non-empty JSON array raw.
func Elements(raw []byte) ([]json.RawMessage, bool) {
	var el []json.RawMessage
	if json.Unmarshal(raw, &el) != nil || len(el) == 0 {
		return nil, false
	}
	return el, true
}

// JoinElements encodes elements as a JSON array, values untouched.
func JoinElements(el []json.RawMessage) []byte {
	b := []byte{'['}
	for i, e := range el {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, e...)
	}
	return append(b, ']')
}

// TextProxy is a FrameProxy whose text messages go through a hook made
// once per WebSocket connection (for mutants that keep state per
// connection; a stateless hook can ignore that). The hook returns the
// messages to send instead: none drops the message.
func TextProxy(newHook func() func(d Direction, p []byte) [][]byte) FrameProxy {
	return FrameProxy{PerConn: func() func(Direction, ws.Frame) []ws.Frame {
		return TextFrames(newHook())
	}}
}

// One is the hook result that sends p alone.
func One(p []byte) [][]byte { return [][]byte{p} }
