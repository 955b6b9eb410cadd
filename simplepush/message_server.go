package simplepush

import (
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
	obj, ok := scanTop(b)
	if !ok {
		return nil, ErrMalformed
	}
	var small [smallObject]span
	top := members(obj, small[:0])
	if len(top) == 0 {
		return &ServerMessage{Type: TypePing}, nil
	}
	rawType, ok := find(top, "messageType", true)
	if !ok {
		return nil, errCode(CodeInvalidHeader, "no messageType")
	}
	typ, ok := scanTypeText(rawType)
	if !ok {
		return nil, errCode(CodeInvalidHeader, "messageType is not a string")
	}
	sm := &ServerMessage{Type: ParseMessageType(typ, true)}
	if sm.Type == TypeUnknown {
		sm.TypeText = typ
	}
	get := func(name string) ([]byte, bool) {
		v, ok := find(top, name, true)
		if !ok || scanIsNull(v) {
			return nil, false
		}
		return v, true
	}
	bad := func(field string) error { return errCode(CodeInvalidParams, field) }
	for _, f := range [...]struct {
		name string
		dst  *string
	}{
		{"uaid", &sm.UAID}, {"channelID", &sm.ChannelID}, {"pushEndpoint", &sm.PushEndpoint},
		{"error", &sm.Error}, {"reason", &sm.Reason}, {"redirect", &sm.Redirect}, {"env", &sm.Env},
	} {
		if v, ok := get(f.name); ok {
			if *f.dst, ok = scanStr(v); !ok {
				return nil, bad(f.name + " is not a string")
			}
		}
	}
	for _, f := range [...]struct {
		name string
		dst  *int
	}{{"status", &sm.Status}, {"ping", &sm.Ping}} {
		if v, ok := get(f.name); ok {
			n, ok := scanInt(v)
			if !ok {
				return nil, bad(f.name + " is not an integer")
			}
			*f.dst = int(n)
		}
	}
	if v, ok := get("updates"); ok {
		if v[0] != '[' {
			return nil, bad("updates is not an array")
		}
		n := 0
		for _, i, ok := nextElem(v, 1); ok; _, i, ok = nextElem(v, i) {
			n++
		}
		if n > 0 {
			sm.Updates = make([]Update, 0, n)
		}
		var scratch [smallObject]span
		for e, i, ok := nextElem(v, 1); ok; e, i, ok = nextElem(v, i) {
			u, err := scanUpdate(e, true, scratch[:0])
			if err != nil {
				return nil, err
			}
			sm.Updates = append(sm.Updates, u)
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
		if n > 0 {
			sm.Expired = make([]string, 0, n)
		}
		for e, i, ok := nextElem(v, 1); ok; e, i, ok = nextElem(v, i) {
			s, ok := scanStr(e)
			if !ok && !scanIsNull(e) { // null decodes as "" into a string
				return nil, bad("expired is not an array of strings")
			}
			sm.Expired = append(sm.Expired, s)
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
