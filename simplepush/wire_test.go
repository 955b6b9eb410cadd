package simplepush

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// TestServerMessageBytes: exact encodings of every server message, then
// parsed back.
func TestServerMessageBytes(t *testing.T) {
	for i, tc := range []struct {
		msg  ServerMessage
		want string
	}{
		0: {ServerMessage{Type: TypeHello, UAID: "fd52438f1c49459388c3ff47bc9b1c9c", Status: 200},
			`{"messageType":"hello","uaid":"fd52438f1c49459388c3ff47bc9b1c9c","status":200}`},
		1: {ServerMessage{Type: TypeRegister, UAID: "u", ChannelID: "c", Status: 200, PushEndpoint: "http://x/update/T"},
			`{"messageType":"register","uaid":"u","channelID":"c","status":200,"pushEndpoint":"http://x/update/T"}`},
		2: {ServerMessage{Type: TypeUnregister, ChannelID: "c", Status: 200},
			`{"messageType":"unregister","channelID":"c","status":200}`},
		3: {ServerMessage{Type: TypeNotification, Updates: []Update{{ChannelID: "a", Version: 23}, {ChannelID: "b", Version: 1<<64 - 1, Data: "hé\"\n"}}},
			`{"messageType":"notification","updates":[{"channelID":"a","version":23,"data":""},{"channelID":"b","version":18446744073709551615,"data":"hé\"\n"}]}`},
		4: {ServerMessage{Type: TypeNotification, Expired: []string{"x"}},
			`{"messageType":"notification","updates":[],"expired":["x"]}`},
		5: {ServerMessage{Type: TypePing}, `{}`},
		6: {ServerMessage{Type: TypePing, Status: 200}, `{"messageType":"ping","status":200}`},
		7: {ServerMessage{Type: TypeHello, Status: 401, Reason: "duplicate hello"},
			`{"messageType":"hello","status":401,"reason":"duplicate hello"}`},
		8: {ServerMessage{Type: TypeHello, Status: 200, UAID: "u", Env: "dev", Ping: 60},
			`{"messageType":"hello","uaid":"u","status":200,"env":"dev","ping":60}`},
	} {
		got := string(tc.msg.Append(nil))
		if got != tc.want {
			t.Errorf("%d: got  %s\nwant %s", i, got, tc.want)
			continue
		}
		back, err := ParseServerMessage([]byte(got))
		if err != nil {
			t.Errorf("%d: parse back: %v", i, err)
			continue
		}
		want := tc.msg
		if !reflect.DeepEqual(*back, want) {
			t.Errorf("%d: parsed back %+v, want %+v", i, *back, want)
		}
	}
}

func TestClientMessageParse(t *testing.T) {
	for i, tc := range []struct {
		in   string
		d    Dialect
		want ClientMessage
	}{
		0: {`{"messageType":"hello","uaid":"","channelIDs":[]}`, DialectPushgo,
			ClientMessage{Type: TypeHello, TypeText: "hello", HasUAID: true, HasChannelIDs: true}},
		1: {`{"messageType":"HELLO","uaiD":"x","ChannelIDs":["a",1,true,null]}`, DialectPushgo,
			ClientMessage{Type: TypeHello, TypeText: "HELLO", UAID: "x", HasUAID: true, ChannelIDs: []string{"a"}, OtherChannelIDs: 3, HasChannelIDs: true}},
		2: {`{"messageType":"HELLO","uaiD":"x"}`, DialectAutopush,
			ClientMessage{Type: TypeUnknown, TypeText: "HELLO"}},
		3: {`{"messageType":"hello","uaiD":"x","ChannelIDs":[]}`, DialectAutopush,
			ClientMessage{Type: TypeHello, TypeText: "hello"}},
		4: {`{"messageType":"hello","uaid":null,"connect":{"type":"udp"},"interface":{"ip":"127.0.0.1","port":9},"protocol":"udp"}`, DialectPushgo,
			ClientMessage{Type: TypeHello, TypeText: "hello", Connect: json.RawMessage(`{"type":"udp"}`), Interface: json.RawMessage(`{"ip":"127.0.0.1","port":9}`), Protocol: "udp"}},
		5: {`{"messageType":"register","channelID":"c"}`, DialectPushgo,
			ClientMessage{Type: TypeRegister, TypeText: "register", ChannelID: "c", HasChannelID: true}},
		6: {`{"messageType":"unregister"}`, DialectPushgo,
			ClientMessage{Type: TypeUnregister, TypeText: "unregister"}},
		7: {`{"messageType":"ack","updates":[{"channelID":"c","version":7}],"expired":["d"]}`, DialectPushgo,
			ClientMessage{Type: TypeAck, TypeText: "ack", Updates: []Update{{ChannelID: "c", Version: 7}}, HasUpdates: true, Expired: []string{"d"}, HasExpired: true}},
		8:  {` { } `, DialectPushgo, ClientMessage{Type: TypePing}},
		9:  {`{"messageType":"Ping"}`, DialectPushgo, ClientMessage{Type: TypePing, TypeText: "Ping"}},
		10: {`{"messageType":"purge"}`, DialectPushgo, ClientMessage{Type: TypePurge, TypeText: "purge"}},
		11: {`{"messageType":"nack","version":1,"code":2}`, DialectAutopush, ClientMessage{Type: TypeNack, TypeText: "nack"}},
		12: {`{"messageType":"bogus","x":1}`, DialectPushgo, ClientMessage{TypeText: "bogus"}},
	} {
		got, err := ParseClientMessage([]byte(tc.in), tc.d)
		if err != nil {
			t.Errorf("%d: %v", i, err)
			continue
		}
		if !reflect.DeepEqual(*got, tc.want) {
			t.Errorf("%d: got %+v\nwant %+v", i, *got, tc.want)
		}
	}
}

// TestParseErrors is the negative table: each bad input and its sentinel.
func TestParseErrors(t *testing.T) {
	for i, tc := range []struct {
		in   string
		want error
	}{
		0:  {``, ErrMalformed},
		1:  {`[]`, ErrMalformed},
		2:  {`{"messageType":"hello"`, ErrMalformed},
		3:  {`null`, ErrMalformed},
		4:  {`{"uaid":""}`, ErrInvalidHeader},
		5:  {`{" messageType ":"hello"}`, ErrInvalidHeader},
		6:  {`{"MessageType":"hello"}`, ErrInvalidHeader},
		7:  {`{"messageType":3}`, ErrInvalidHeader},
		8:  {`{"messageType":"hello","uaid":5}`, ErrInvalidParams},
		9:  {`{"messageType":"hello","uaid":true}`, ErrInvalidParams},
		10: {`{"messageType":"hello","channelIDs":"x"}`, ErrInvalidParams},
		11: {`{"messageType":"register","channelID":-66000}`, ErrInvalidParams},
		12: {`{"messageType":"register","channelID":true}`, ErrInvalidParams},
		13: {`{"messageType":"ack","updates":{}}`, ErrInvalidParams},
		14: {`{"messageType":"ack","updates":[1]}`, ErrInvalidParams},
		15: {`{"messageType":"ack","updates":[{"channelID":"c","version":-1}]}`, ErrInvalidParams},
		16: {`{"messageType":"ack","updates":[{"channelID":"c","version":1.5}]}`, ErrInvalidParams},
		17: {`{"messageType":"ack","updates":[{"channelID":"c","version":"1"}]}`, ErrInvalidParams},
		18: {`{"messageType":"ack","updates":[{"channelID":"c","version":18446744073709551616}]}`, ErrInvalidParams},
		19: {`{"messageType":"ack","expired":[1]}`, ErrInvalidParams},
		20: {`{"messageType":"hello","protocol":1}`, ErrInvalidParams},
	} {
		_, err := ParseClientMessage([]byte(tc.in), DialectPushgo)
		if !errors.Is(err, tc.want) {
			t.Errorf("%d: %q: got %v, want %v", i, tc.in, err, tc.want)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "simplepush: ") {
			t.Errorf("%d: error text %q", i, err)
		}
	}
	for i, in := range []string{`[]`, `{"status":200}`, `{"messageType":"hello","status":"x"}`, `{"messageType":"notification","updates":[{"version":"1"}]}`} {
		if _, err := ParseServerMessage([]byte(in)); err == nil {
			t.Errorf("server %d: %q parsed", i, in)
		}
	}
}

func TestErrorCodes(t *testing.T) {
	for _, tc := range []struct {
		err    error
		code   Code
		status int
	}{
		{ErrInvalidHeader, 101, 401}, {ErrUnsupportedType, 102, 401}, {ErrNoID, 103, 401},
		{ErrInvalidID, 104, 503}, {ErrNoChannel, 105, 401}, {ErrInvalidChannel, 106, 503},
		{ErrNoParams, 107, 401}, {ErrInvalidParams, 108, 401}, {ErrNoHandshake, 201, 401},
		{ErrExistingID, 202, 503}, {ErrTooManyPings, 203, 401}, {ErrNonexistentChannel, 204, 503},
		{ErrBadVersion, 301, 400}, {ErrDataTooLong, 302, 413}, {ErrInvalidKey, 401, 500},
		{ErrRecordUpdateFailed, 402, 503}, {ErrServerError, 999, 500},
	} {
		if c := CodeOf(tc.err); c != tc.code || c.Status() != tc.status {
			t.Errorf("%v: code %d status %d, want %d %d", tc.err, c, c.Status(), tc.code, tc.status)
		}
		detailed := errCode(tc.code, "detail")
		if !errors.Is(detailed, tc.err) || errors.Is(detailed, ErrMalformed) {
			t.Errorf("%v: errors.Is on a detailed error", tc.err)
		}
	}
	if CodeOf(errors.New("x")) != CodeServerError || CodeOf(nil) != 0 {
		t.Error("CodeOf of a foreign error")
	}
}

func TestErrorReply(t *testing.T) {
	got := string(AppendErrorReply(nil, []byte(`{"messageType":"register","channelID":"x","status":1}`), 401, "Command requires handshake", DialectPushgo))
	want := `{"channelID":"x","messageType":"register","status":401,"error":"Command requires handshake"}`
	if got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
	got = string(AppendErrorReply(nil, []byte(`{"messageType":"hello"}`), 401, "duplicate hello", DialectAutopush))
	if want := `{"messageType":"hello","status":401,"reason":"duplicate hello"}`; got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
}

func TestIDs(t *testing.T) {
	u := NewUAID()
	if len(u) != 32 || !allLowerHex(u) || u[12] != '4' {
		t.Fatalf("NewUAID %q", u)
	}
	c := NewChannelID()
	if !ValidChannelID(c, DialectAutopush) || !ValidChannelID(c, DialectPushgo) {
		t.Fatalf("NewChannelID %q", c)
	}
	for _, tc := range []struct {
		in       string
		pushgo   string
		autopush bool
	}{
		{"fd52438f1c49459388c3ff47bc9b1c9c", "fd52438f1c49459388c3ff47bc9b1c9c", true},
		{"FD52438F1C49459388C3FF47BC9B1C9C", "fd52438f1c49459388c3ff47bc9b1c9c", false},
		{"fd52438f-1c49-4593-88c3-ff47bc9b1c9c", "fd52438f1c49459388c3ff47bc9b1c9c", false},
		{"invalid_uaid", "", false}, {"0", "", false}, {" fooey barrey ", "", false}, {"", "", false},
		{"fd52438f-1c49-4593-88c3ff47bc9b1c9c-", "", false},
		{"fd52438f1c49459388c3ff47bc9b1c9g", "", false},
		{strings.Repeat("a", 64000), "", false},
	} {
		n, ok := NormalizeUAID(tc.in, DialectPushgo)
		if n != tc.pushgo || ok != (tc.pushgo != "") {
			t.Errorf("pushgo %q: %q %v", tc.in, n, ok)
		}
		if _, ok := NormalizeUAID(tc.in, DialectAutopush); ok != tc.autopush {
			t.Errorf("autopush %q: %v", tc.in, ok)
		}
	}
	if ValidChannelID("FD52438F-1C49-4593-88C3-FF47BC9B1C9C", DialectAutopush) || !ValidChannelID("FD52438F-1C49-4593-88C3-FF47BC9B1C9C", DialectPushgo) {
		t.Error("channel ID case rules")
	}
	if ValidChannelID("fd52438f1c49459388c3ff47bc9b1c9c", DialectAutopush) {
		t.Error("autopush accepted an undashed channel ID")
	}
}
