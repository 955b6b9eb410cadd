package afbproto

import "encoding/json"

// EventMsg is an afb-event object (spec §2.2):
//
//	{"event":"api/name","data":D,"jtype":"afb-event"}
type EventMsg struct {
	Event string          // full name, prefixed by the api: "hello/ev9"
	Data  json.RawMessage // any JSON value; nil when absent (null is kept)
}

// AppendEvent appends the afb-event JSON of e in the member order of
// dialect d. Data is copied as is and must be valid JSON.
func AppendEvent(dst []byte, e *EventMsg, d Dialect) []byte {
	if d == DialectLibafb {
		dst = append(dst, `{"jtype":"afb-event","event":`...)
		dst = appendString(dst, e.Event)
		if len(e.Data) > 0 {
			dst = append(dst, `,"data":`...)
			dst = append(dst, e.Data...)
		}
		return append(dst, '}')
	}
	dst = append(dst, `{"event":`...)
	dst = appendString(dst, e.Event)
	if len(e.Data) > 0 {
		dst = append(dst, `,"data":`...)
		dst = append(dst, e.Data...)
	}
	return append(dst, `,"jtype":"afb-event"}`...)
}

// ParseEvent parses an afb-event object of any dialect into e, replacing
// its contents. e.Data aliases b.
func ParseEvent(b []byte, e *EventMsg) error {
	*e = EventMsg{}
	if !json.Valid(b) {
		return perr(ErrMalformedJSON, 0, "event is not valid JSON")
	}
	var jtype, named bool
	ok := eachMember(b, func(key, val []byte) bool {
		switch {
		case keyIs(key, "event"):
			s, ok := jsonString(val)
			named = ok && s != ""
			e.Event = s
		case keyIs(key, "data"):
			e.Data = val
		case keyIs(key, "jtype"):
			s, _ := jsonString(val)
			jtype = s == "afb-event"
		}
		return true
	})
	switch {
	case !ok:
		return perr(ErrMalformedJSON, 0, "event is not a JSON object")
	case !jtype:
		return perr(ErrNotEvent, 0, `jtype is not "afb-event"`)
	case !named:
		return perr(ErrNotEvent, 0, "event name is missing or not a string")
	}
	return nil
}
