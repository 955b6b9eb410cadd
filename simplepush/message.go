package simplepush

import (
	"encoding/json"
	"strings"
)

// MessageType is the messageType of a WebSocket message.
type MessageType uint8

// Message types. TypePing covers both the bare {} and {"messageType":"ping"}.
const (
	TypeUnknown MessageType = iota
	TypeHello
	TypeRegister
	TypeUnregister
	TypeAck
	TypeNotification
	TypePing
	TypePurge
	TypeNack
)

var typeNames = [...]string{"", "hello", "register", "unregister", "ack", "notification", "ping", "purge", "nack"}

// String returns the wire name ("" for TypeUnknown).
func (t MessageType) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return ""
}

// ParseMessageType maps a wire name to its type; fold matches any case
// (pushgo lower-cases the value, autopush does not).
func ParseMessageType(s string, fold bool) MessageType {
	for i, n := range typeNames[1:] {
		if s == n || fold && strings.EqualFold(s, n) {
			return MessageType(i + 1)
		}
	}
	return TypeUnknown
}

// Update is one channel's version, in a notification or an ack.
type Update struct {
	ChannelID string `json:"channelID"`
	Version   uint64 `json:"version"`
	Data      string `json:"data,omitempty"` // notification only; "" when none
}

// ClientMessage is one message from a user agent. Which fields are set
// depends on Type; Has* fields tell a member that is absent or null from
// one that is present (possibly empty).
type ClientMessage struct {
	Type MessageType
	// TypeText is the messageType as sent; "" for the bare ping {}.
	TypeText string

	// hello
	UAID          string
	HasUAID       bool
	ChannelIDs    []string // the string entries of channelIDs
	HasChannelIDs bool
	// OtherChannelIDs counts non-string entries of channelIDs, which
	// pushgo accepts (and counts) without looking at them.
	OtherChannelIDs int
	// Wake-up extras, kept as raw JSON: pushgo "connect", early drafts'
	// "wakeup", "interface" ({ip, port}) and "mobilenetwork" ({mcc, mnc}).
	Connect       json.RawMessage
	Wakeup        json.RawMessage
	Interface     json.RawMessage
	MobileNetwork json.RawMessage
	Protocol      string // early drafts' wake-up protocol, e.g. "udp"

	// register, unregister
	ChannelID    string
	HasChannelID bool

	// ack
	Updates    []Update
	HasUpdates bool
	Expired    []string
	HasExpired bool
}

// ParseClientMessage parses one WebSocket text message from a user agent.
//
// A frame that is not a JSON object gives ErrMalformed (upstream closes
// without reply). An object without a string "messageType" member (exact
// name) that is not the empty ping {} gives ErrInvalidHeader; a member of
// the wrong JSON type gives ErrInvalidParams. An unknown messageType is
// not an error: Type is TypeUnknown and TypeText holds it.
// DialectPushgo matches the other member names and the messageType value
// in any case; DialectAutopush exactly. Whether the members a type needs
// are present is for the caller to judge (see the Has* fields).
func ParseClientMessage(b []byte, d Dialect) (*ClientMessage, error) {
	obj, ok := scanTop(b)
	if !ok {
		return nil, ErrMalformed
	}
	var small [smallObject]span
	top := members(obj, small[:0])
	fold := d == DialectPushgo
	if len(top) == 0 {
		return &ClientMessage{Type: TypePing}, nil
	}
	rawType, ok := find(top, "messageType", false)
	if !ok {
		return nil, errCode(CodeInvalidHeader, "no messageType")
	}
	typ, ok := scanTypeText(rawType)
	if !ok {
		return nil, errCode(CodeInvalidHeader, "messageType is not a string")
	}
	cm := &ClientMessage{Type: ParseMessageType(typ, fold), TypeText: typ}
	get := func(name string) ([]byte, bool) {
		v, ok := find(top, name, fold)
		if !ok || scanIsNull(v) {
			return nil, false
		}
		return v, true
	}
	bad := func(field string) error { return errCode(CodeInvalidParams, field) }
	switch cm.Type {
	case TypeHello:
		if v, ok := get("uaid"); ok {
			if cm.UAID, ok = scanStr(v); !ok {
				return nil, bad("uaid is not a string")
			}
			cm.HasUAID = true
		}
		if v, ok := get("channelIDs"); ok {
			if v[0] != '[' {
				return nil, bad("channelIDs is not an array")
			}
			cm.HasChannelIDs = true
			n := 0
			for e, i, ok := nextElem(v, 1); ok; e, i, ok = nextElem(v, i) {
				if e[0] == '"' {
					n++
				}
			}
			if n > 0 {
				cm.ChannelIDs = make([]string, 0, n)
			}
			for e, i, ok := nextElem(v, 1); ok; e, i, ok = nextElem(v, i) {
				if s, ok := scanStr(e); ok {
					cm.ChannelIDs = append(cm.ChannelIDs, s)
				} else {
					cm.OtherChannelIDs++
				}
			}
		}
		for _, f := range [...]struct {
			name string
			dst  *json.RawMessage
		}{{"connect", &cm.Connect}, {"wakeup", &cm.Wakeup}, {"interface", &cm.Interface}, {"mobilenetwork", &cm.MobileNetwork}} {
			if v, ok := get(f.name); ok {
				*f.dst = append(json.RawMessage(nil), v...) // b is the caller's buffer
			}
		}
		if v, ok := get("protocol"); ok {
			if cm.Protocol, ok = scanStr(v); !ok {
				return nil, bad("protocol is not a string")
			}
		}
	case TypeRegister, TypeUnregister:
		if v, ok := get("channelID"); ok {
			if cm.ChannelID, ok = scanStr(v); !ok {
				return nil, bad("channelID is not a string")
			}
			cm.HasChannelID = true
		}
	case TypeAck:
		if v, ok := get("updates"); ok {
			if v[0] != '[' {
				return nil, bad("updates is not an array")
			}
			cm.HasUpdates = true
			var scratch [smallObject]span
			for e, i, ok := nextElem(v, 1); ok; e, i, ok = nextElem(v, i) {
				u, err := scanUpdate(e, fold, scratch[:0])
				if err != nil {
					return nil, err
				}
				cm.Updates = append(cm.Updates, u)
			}
		}
		if v, ok := get("expired"); ok {
			if v[0] != '[' {
				return nil, bad("expired is not an array of strings")
			}
			n := 0
			for _, i, ok := nextElem(v, 1); ok; _, i, ok = nextElem(v, i) {
				n++
			}
			list := make([]string, 0, n)
			for e, i, ok := nextElem(v, 1); ok; e, i, ok = nextElem(v, i) {
				s, ok := scanStr(e)
				if !ok && !scanIsNull(e) { // null decodes as "" into a string
					return nil, bad("expired is not an array of strings")
				}
				list = append(list, s)
			}
			cm.Expired, cm.HasExpired = list, true
		}
	}
	return cm, nil
}

// scanTypeText decodes the messageType value; a known type name written
// plainly costs no allocation.
func scanTypeText(v []byte) (string, bool) {
	if len(v) > 2 && v[0] == '"' {
		for _, n := range typeNames[1:] {
			if string(v[1:len(v)-1]) == n {
				return n, true
			}
		}
	}
	return scanStr(v)
}

// scanUpdate parses {"channelID":..., "version":..., "data":...} from a
// value span; scratch is room for its members.
func scanUpdate(e []byte, fold bool, scratch []span) (Update, error) {
	var u Update
	if e[0] != '{' {
		return u, errCode(CodeInvalidParams, "update is not an object")
	}
	obj := members(e, scratch)
	if v, ok := find(obj, "channelID", fold); ok && !scanIsNull(v) {
		if u.ChannelID, ok = scanStr(v); !ok {
			return u, errCode(CodeInvalidParams, "update channelID is not a string")
		}
	}
	if v, ok := find(obj, "version", fold); ok && !scanIsNull(v) {
		if u.Version, ok = scanUint(v); !ok {
			return u, errCode(CodeInvalidParams, "update version is not a 64-bit unsigned integer")
		}
	}
	if v, ok := find(obj, "data", fold); ok && !scanIsNull(v) {
		if u.Data, ok = scanStr(v); !ok {
			return u, errCode(CodeInvalidParams, "update data is not a string")
		}
	}
	return u, nil
}

// Append appends the JSON encoding of m. A ping with an empty TypeText is
// the bare {}. Members are written only when set (Has* or non-empty).
func (m *ClientMessage) Append(b []byte) []byte {
	if m.Type == TypePing && m.TypeText == "" {
		return append(b, '{', '}')
	}
	typ := m.TypeText
	if typ == "" {
		typ = m.Type.String()
	}
	b = append(b, `{"messageType":`...)
	b = appendString(b, typ)
	if m.HasUAID {
		b = append(b, `,"uaid":`...)
		b = appendString(b, m.UAID)
	}
	if m.HasChannelIDs || len(m.ChannelIDs) > 0 {
		b = append(b, `,"channelIDs":`...)
		b = appendStrings(b, m.ChannelIDs)
	}
	for _, f := range []struct {
		name string
		v    json.RawMessage
	}{{"connect", m.Connect}, {"wakeup", m.Wakeup}, {"interface", m.Interface}, {"mobilenetwork", m.MobileNetwork}} {
		if len(f.v) > 0 {
			b = append(b, `,"`...)
			b = append(b, f.name...)
			b = append(b, `":`...)
			b = append(b, f.v...)
		}
	}
	if m.Protocol != "" {
		b = append(b, `,"protocol":`...)
		b = appendString(b, m.Protocol)
	}
	if m.HasChannelID {
		b = append(b, `,"channelID":`...)
		b = appendString(b, m.ChannelID)
	}
	if m.HasUpdates || len(m.Updates) > 0 {
		b = append(b, `,"updates":`...)
		b = appendUpdates(b, m.Updates, false)
	}
	if m.HasExpired || len(m.Expired) > 0 {
		b = append(b, `,"expired":`...)
		b = appendStrings(b, m.Expired)
	}
	return append(b, '}')
}

func appendStrings(b []byte, list []string) []byte {
	b = append(b, '[')
	for i, s := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// appendUpdates writes a list of updates; withData always writes "data"
// (pushgo emits it, "" when there is none).
func appendUpdates(b []byte, list []Update, withData bool) []byte {
	b = append(b, '[')
	for i, u := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"channelID":`...)
		b = appendString(b, u.ChannelID)
		b = append(b, `,"version":`...)
		b = appendUint(b, u.Version)
		if withData || u.Data != "" {
			b = append(b, `,"data":`...)
			b = appendString(b, u.Data)
		}
		b = append(b, '}')
	}
	return append(b, ']')
}
