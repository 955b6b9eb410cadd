package simplepush

import (
	"encoding/json"
	"slices"
	"strconv"
)

// ServerMessage is one message from the server to a user agent: a reply
// (hello, register, unregister, typed ping, error echo) or a notification.
// A ping with Status 0 is the bare {} pong.
type ServerMessage struct {
	Type MessageType
	// TypeText is the messageType as received when it is not a known
	// type (an error echo of an unknown command); Append uses it when
	// Type is TypeUnknown.
	TypeText string

	Status       int // 0: absent (notifications carry no status)
	UAID         string
	ChannelID    string
	PushEndpoint string
	Updates      []Update // notification
	Expired      []string // notification, pushgo only
	Error        string   // pushgo error text
	Reason       string   // autopush error text
	Redirect     string   // pushgo balancer, with status 307
	Env          string   // autopush hello
	Ping         int      // autopush hello: server ping interval, seconds
}

// Append appends the JSON encoding of m. A notification always carries
// "updates" (possibly []) and, pushgo-style, "data" in every update;
// "expired" only when not empty.
func (m *ServerMessage) Append(b []byte) []byte {
	if m.Type == TypePing && m.Status == 0 {
		return append(b, '{', '}')
	}
	typ := m.Type.String()
	if m.Type == TypeUnknown {
		typ = m.TypeText
	}
	b = append(b, `{"messageType":`...)
	b = appendString(b, typ)
	if m.UAID != "" {
		b = append(b, `,"uaid":`...)
		b = appendString(b, m.UAID)
	}
	if m.ChannelID != "" {
		b = append(b, `,"channelID":`...)
		b = appendString(b, m.ChannelID)
	}
	if m.Status != 0 {
		b = append(b, `,"status":`...)
		b = strconv.AppendInt(b, int64(m.Status), 10)
	}
	if m.PushEndpoint != "" {
		b = append(b, `,"pushEndpoint":`...)
		b = appendString(b, m.PushEndpoint)
	}
	if m.Type == TypeNotification || len(m.Updates) > 0 {
		b = append(b, `,"updates":`...)
		b = appendUpdates(b, m.Updates, true)
	}
	if len(m.Expired) > 0 {
		b = append(b, `,"expired":`...)
		b = appendStrings(b, m.Expired)
	}
	for _, f := range []struct{ name, v string }{
		{"error", m.Error}, {"reason", m.Reason}, {"redirect", m.Redirect}, {"env", m.Env},
	} {
		if f.v != "" {
			b = append(b, `,"`...)
			b = append(b, f.name...)
			b = append(b, `":`...)
			b = appendString(b, f.v)
		}
	}
	if m.Ping != 0 {
		b = append(b, `,"ping":`...)
		b = strconv.AppendInt(b, int64(m.Ping), 10)
	}
	return append(b, '}')
}

// ParseServerMessage parses one WebSocket text message from a server, as
// a user agent does: member names match in any case, messageType values
// too. The bare {} is a ping (pong) with Status 0. Errors: ErrMalformed
// for anything but a JSON object, ErrInvalidHeader for an object without
// a string messageType, ErrInvalidParams for a member of the wrong type.
func ParseServerMessage(b []byte) (*ServerMessage, error) {
	m, ok := rawObject(b)
	if !ok {
		return nil, ErrMalformed
	}
	if len(m) == 0 {
		return &ServerMessage{Type: TypePing}, nil
	}
	rawType, ok := member(m, "messageType", true)
	if !ok {
		return nil, errCode(CodeInvalidHeader, "no messageType")
	}
	typ, ok := rawString(rawType)
	if !ok {
		return nil, errCode(CodeInvalidHeader, "messageType is not a string")
	}
	sm := &ServerMessage{Type: ParseMessageType(typ, true)}
	if sm.Type == TypeUnknown {
		sm.TypeText = typ
	}
	bad := func(field string) error { return errCode(CodeInvalidParams, field) }
	str := func(name string, dst *string) error {
		if v, ok := member(m, name, true); ok && !isNull(v) {
			if *dst, ok = rawString(v); !ok {
				return bad(name + " is not a string")
			}
		}
		return nil
	}
	num := func(name string, dst *int) error {
		if v, ok := member(m, name, true); ok && !isNull(v) {
			var n int64
			if json.Unmarshal(v, &n) != nil {
				return bad(name + " is not an integer")
			}
			*dst = int(n)
		}
		return nil
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{
		{"uaid", &sm.UAID}, {"channelID", &sm.ChannelID}, {"pushEndpoint", &sm.PushEndpoint},
		{"error", &sm.Error}, {"reason", &sm.Reason}, {"redirect", &sm.Redirect}, {"env", &sm.Env},
	} {
		if err := str(f.name, f.dst); err != nil {
			return nil, err
		}
	}
	if err := num("status", &sm.Status); err != nil {
		return nil, err
	}
	if err := num("ping", &sm.Ping); err != nil {
		return nil, err
	}
	if v, ok := member(m, "updates", true); ok && !isNull(v) {
		var list []json.RawMessage
		if json.Unmarshal(v, &list) != nil {
			return nil, bad("updates is not an array")
		}
		for _, e := range list {
			u, err := parseUpdate(e, true)
			if err != nil {
				return nil, err
			}
			sm.Updates = append(sm.Updates, u)
		}
	}
	if v, ok := member(m, "expired", true); ok && !isNull(v) {
		if json.Unmarshal(v, &sm.Expired) != nil {
			return nil, bad("expired is not an array of strings")
		}
		if len(sm.Expired) == 0 {
			sm.Expired = nil
		}
	}
	return sm, nil
}

// AppendErrorReply appends pushgo's (or autopush's) answer to a bad
// command: the members of the request object req, then "status" and the
// error text under "error" (pushgo) or "reason" (autopush). Members of req
// named status, error or reason are dropped. A req that is not a JSON
// object contributes nothing.
func AppendErrorReply(b []byte, req []byte, status int, text string, d Dialect) []byte {
	m, _ := rawObject(req)
	keys := make([]string, 0, len(m))
	for k := range m {
		if k != "status" && k != "error" && k != "reason" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	b = append(b, '{')
	for _, k := range keys {
		b = appendString(b, k)
		b = append(b, ':')
		b = appendCompact(b, m[k])
		b = append(b, ',')
	}
	b = append(b, `"status":`...)
	b = strconv.AppendInt(b, int64(status), 10)
	if d == DialectAutopush {
		b = append(b, `,"reason":`...)
	} else {
		b = append(b, `,"error":`...)
	}
	b = appendString(b, text)
	return append(b, '}')
}

func appendUint(b []byte, v uint64) []byte { return strconv.AppendUint(b, v, 10) }
