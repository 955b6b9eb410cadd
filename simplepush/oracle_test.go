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
				u, err := parseUpdate(e, fold)
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
