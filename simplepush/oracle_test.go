package simplepush

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// parseClientMessageJSON is the parser ParseClientMessage replaced: the
// frame decoded by encoding/json into a map of raw members. It stays here
// as the oracle of the differential fuzz target below.
func parseClientMessageJSON(b []byte, d Dialect) (*ClientMessage, error) {
	m, ok := rawObject(b)
	if !ok {
		return nil, ErrMalformed
	}
	fold := d == DialectPushgo
	if len(m) == 0 {
		return &ClientMessage{Type: TypePing}, nil
	}
	rawType, ok := m["messageType"]
	if !ok {
		return nil, errCode(CodeInvalidHeader, "no messageType")
	}
	typ, ok := rawString(rawType)
	if !ok {
		return nil, errCode(CodeInvalidHeader, "messageType is not a string")
	}
	cm := &ClientMessage{Type: ParseMessageType(typ, fold), TypeText: typ}
	get := func(name string) (json.RawMessage, bool) {
		v, ok := member(m, name, fold)
		if !ok || isNull(v) {
			return nil, false
		}
		return v, true
	}
	bad := func(field string) error { return errCode(CodeInvalidParams, field) }
	switch cm.Type {
	case TypeHello:
		if v, ok := get("uaid"); ok {
			if cm.UAID, ok = rawString(v); !ok {
				return nil, bad("uaid is not a string")
			}
			cm.HasUAID = true
		}
		if v, ok := get("channelIDs"); ok {
			var list []json.RawMessage
			if json.Unmarshal(v, &list) != nil {
				return nil, bad("channelIDs is not an array")
			}
			cm.HasChannelIDs = true
			for _, e := range list {
				if s, ok := rawString(e); ok {
					cm.ChannelIDs = append(cm.ChannelIDs, s)
				} else {
					cm.OtherChannelIDs++
				}
			}
		}
		for _, f := range []struct {
			name string
			dst  *json.RawMessage
		}{{"connect", &cm.Connect}, {"wakeup", &cm.Wakeup}, {"interface", &cm.Interface}, {"mobilenetwork", &cm.MobileNetwork}} {
			if v, ok := get(f.name); ok {
				*f.dst = bytes.TrimSpace(v)
			}
		}
		if v, ok := get("protocol"); ok {
			if cm.Protocol, ok = rawString(v); !ok {
				return nil, bad("protocol is not a string")
			}
		}
	case TypeRegister, TypeUnregister:
		if v, ok := get("channelID"); ok {
			if cm.ChannelID, ok = rawString(v); !ok {
				return nil, bad("channelID is not a string")
			}
			cm.HasChannelID = true
		}
	case TypeAck:
		if v, ok := get("updates"); ok {
			var list []json.RawMessage
			if json.Unmarshal(v, &list) != nil {
				return nil, bad("updates is not an array")
			}
			cm.HasUpdates = true
			for _, e := range list {
				u, err := parseUpdateJSON(e, fold)
				if err != nil {
					return nil, err
				}
				cm.Updates = append(cm.Updates, u)
			}
		}
		if v, ok := get("expired"); ok {
			var list []string
			if json.Unmarshal(v, &list) != nil {
				return nil, bad("expired is not an array of strings")
			}
			cm.Expired, cm.HasExpired = list, true
		}
	}
	return cm, nil
}

// sameParse reports how ParseClientMessage and the oracle differ on b in
// dialect d, or "".
func sameParse(b []byte, d Dialect) string {
	got, gerr := ParseClientMessage(b, d)
	want, werr := parseClientMessageJSON(b, d)
	switch {
	case (gerr == nil) != (werr == nil):
		return "error " + errText(gerr) + ", oracle " + errText(werr)
	case gerr != nil:
		if gerr.Error() != werr.Error() || CodeOf(gerr) != CodeOf(werr) || errors.Is(gerr, ErrMalformed) != errors.Is(werr, ErrMalformed) {
			return "error " + gerr.Error() + ", oracle " + werr.Error()
		}
		return ""
	case !reflect.DeepEqual(got, want):
		return "message differs"
	}
	return ""
}

func errText(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// diffSeeds are the inputs where a hand-written scanner and encoding/json
// are most likely to part ways.
var diffSeeds = []string{
	`{"messageType":"hello","uaid":"a","uaid":"b","channelIDs":[]}`,
	`{"messageType":"hello","uaid":"a","uaid":null,"channelIDs":[]}`,
	`{"messageType":"hello","uaid":5,"uaid":"ok","channelIDs":[]}`,
	`{"messageType":"hello","UAID":"a","uaid":"b","Uaid":"c","channelIDs":[]}`,
	`{"messageType":"hello","UAID":"a","uAid":"b","Uaid":"c","UAID":"d","channelIDs":null}`,
	`{"message\u0054ype":"hello","\u0075aid":"x","channelIDs":["\ud800","\ud83d\ude00","a\u0000"]}`,
	`{"messageType":"hel\u006co","channelIDs":[ "a" , 1.5e3 , -0 , {"x":[]} , [] ]}`,
	"\u00a0\t{\"messageType\":\"ping\"}\u0085\v",
	"{\"messageType\":\"hello\",\"uaid\":\"\xff\xfe\",\"channelIDs\":[\"\xed\xa0\x80\"]}",
	"{\"messageType\":\"hello\xff\"}",
	`{"messageType":"ack","updates":[{"channelID":"c","version":0},{"CHANNELID":"d","Version":1,"data":null}],"expired":["x",null]}`,
	`{"messageType":"ack","updates":[{"version":01}]}`,
	`{"messageType":"ack","updates":[{"version":-0}]}`,
	`{"messageType":"ack","updates":[{"version":1E2}]}`,
	`{"messageType":"ack","updates":[{"version":18446744073709551615}]}`,
	`{"messageType":"ack","updates":[{"version":18446744073709551616}]}`,
	`{"messageType":"ack","updates":[null]}`,
	`{"messageType":"ack","updates":[],"expired":[]}`,
	`{"messageType":"ack","expired":{}}`,
	`{"messageType":"ack","expired":[true]}`,
	`{"messageType":"ACK","updates":"x"}`,
	`{"messageType":"unregiſter","channelID":"c"}`,
	`{"messageType":"register","channelID":"c","channelID":7}`,
	`{"messageType":"register","channelid":"c"}`,
	`{"messageType":"hello","connect": { "a" : [ 1 , 2 ] } ,"wakeup":"","interface":null,"mobilenetwork":0,"channelIDs":[]}`,
	`{"messageType":"hello","protocol":null,"Protocol":"udp","channelIDs":[]}`,
	`{"a":1,}`, `{"a" 1}`, `{"a":01}`, `{"a":1.}`, `{"a":.1}`, `{"a":1e}`, `{"a":-}`, `{"a":tru}`,
	`{"a":"\x"}`, `{"a":"\u12"}`, "{\"a\":\"\x01\"}", `{"a":[1,]}`, `{"a":[,1]}`, `{} {}`, `{}x`,
	`{"a":nul}`, `{"a":falsey}`, `{"messageType":null}`, `{"messageType":"x","messageType":1}`,
	`{"a":{"b":{"c":[[[]]]}}}`, `{"messageType":"hello","channelIDs":[]}` + "\x00",
}

func TestParseClientMatchesOracle(t *testing.T) {
	seeds := append(append([]string{}, diffSeeds...), clientSeeds...)
	deep := func(n int, open, close string) string {
		return `{"a":` + strings.Repeat(open, n) + strings.Repeat(close, n) + `}`
	}
	seeds = append(seeds, deep(9998, "[", "]"), deep(9999, "[", "]"), deep(10000, "[", "]"),
		deep(9999, `{"k":`, "}"), deep(10000, `{"k":`, "}"))
	for i, s := range seeds {
		for _, d := range []Dialect{DialectPushgo, DialectAutopush} {
			if diff := sameParse([]byte(s), d); diff != "" {
				t.Errorf("%d (%v): %.80q: %s", i, d, s, diff)
			}
		}
	}
}

// FuzzParseClientDiff: ParseClientMessage accepts and rejects exactly what
// the encoding/json parser did, with the same message or error.
func FuzzParseClientDiff(f *testing.F) {
	for _, s := range append(append([]string{}, diffSeeds...), clientSeeds...) {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, b []byte, autopush bool) {
		d := DialectPushgo
		if autopush {
			d = DialectAutopush
		}
		if diff := sameParse(b, d); diff != "" {
			t.Fatalf("%q (%v): %s", b, d, diff)
		}
		b = bytes.Clone(b)
		// The parser must not keep a reference to the caller's buffer.
		m, err := ParseClientMessage(b, d)
		if err != nil {
			return
		}
		before := m.Append(nil)
		clear(b) // our copy
		if after := m.Append(nil); !bytes.Equal(before, after) {
			t.Fatalf("message changed with its input buffer: %q vs %q", before, after)
		}
	})
}

// parseServerMessageJSON is the parser ParseServerMessage replaced (the
// frame decoded by encoding/json into a map of raw members), kept as the
// oracle of FuzzParseServerDiff.
func parseServerMessageJSON(b []byte) (*ServerMessage, error) {
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
			u, err := parseUpdateJSON(e, true)
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

// parseUpdate parses {"channelID":..., "version":..., "data":...} from
// a decoded member (the oracle's path).
func parseUpdateJSON(raw json.RawMessage, fold bool) (Update, error) {
	var u Update
	m, ok := rawObject(raw)
	if !ok {
		return u, errCode(CodeInvalidParams, "update is not an object")
	}
	if v, ok := member(m, "channelID", fold); ok && !isNull(v) {
		if u.ChannelID, ok = rawString(v); !ok {
			return u, errCode(CodeInvalidParams, "update channelID is not a string")
		}
	}
	if v, ok := member(m, "version", fold); ok && !isNull(v) {
		if u.Version, ok = rawUint(v); !ok {
			return u, errCode(CodeInvalidParams, "update version is not a 64-bit unsigned integer")
		}
	}
	if v, ok := member(m, "data", fold); ok && !isNull(v) {
		if u.Data, ok = rawString(v); !ok {
			return u, errCode(CodeInvalidParams, "update data is not a string")
		}
	}
	return u, nil
}

// sameServerParse compares ParseServerMessage with the oracle on b.
func sameServerParse(b []byte) string {
	got, gerr := ParseServerMessage(b)
	want, werr := parseServerMessageJSON(b)
	if (gerr == nil) != (werr == nil) || gerr != nil && gerr.Error() != werr.Error() {
		return "errors differ: " + errText(gerr) + " vs oracle " + errText(werr)
	}
	if !reflect.DeepEqual(got, want) {
		gb, _ := json.Marshal(got)
		wb, _ := json.Marshal(want)
		return "messages differ: " + string(gb) + " vs oracle " + string(wb)
	}
	return ""
}

var serverSeeds = []string{
	`{}`, ` { } `, `{"messageType":"hello","uaid":"abc","status":200}`,
	`{"messageType":"HELLO","UAID":"x","Status":200,"env":"prod","ping":60}`,
	`{"messageType":"register","channelID":"c","status":200,"pushEndpoint":"http://h/u/t","uaid":"u"}`,
	`{"messageType":"notification","updates":[{"channelID":"a","version":1,"data":""},{"channelID":"b","version":18446744073709551615}]}`,
	`{"messageType":"notification","updates":[],"expired":["a",null]}`,
	`{"messageType":"notification","updates":[null]}`, `{"messageType":"notification","updates":{}}`,
	`{"messageType":"notification","updates":[{"version":-1}]}`, `{"messageType":"notification","expired":[1]}`,
	`{"messageType":"ping","status":200}`, `{"messageType":"hello","status":-401}`, `{"messageType":"hello","status":2.5}`,
	`{"messageType":"hello","status":1e3}`, `{"messageType":"hello","status":"200"}`, `{"messageType":"hello","status":99999999999999999999}`,
	`{"messageType":"x","reason":"duplicate hello","status":401}`, `{"messageType":7}`, `{"status":200}`, `[]`, `nul`,
	`{"messageType":"hello","uaid":"\u00e9\ud800","channelID":null}`, `{"messagetype":"hello","MessageType":"register"}`,
}

func TestParseServerMatchesOracle(t *testing.T) {
	for i, s := range serverSeeds {
		if diff := sameServerParse([]byte(s)); diff != "" {
			t.Errorf("%d: %.80q: %s", i, s, diff)
		}
	}
}

// FuzzParseServerDiff: ParseServerMessage accepts and rejects exactly what
// the encoding/json parser did, with the same message or error.
func FuzzParseServerDiff(f *testing.F) {
	for _, s := range append(append([]string{}, diffSeeds...), serverSeeds...) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if diff := sameServerParse(b); diff != "" {
			t.Fatalf("%q: %s", b, diff)
		}
	})
}
