package simplepush

import (
	"bytes"
	"reflect"
	"testing"
)

var clientSeeds = []string{
	`{"messageType":"hello","uaid":"","channelIDs":[]}`,
	`{"messageType":"HELLO","uaiD":"fd52438f1c49459388c3ff47bc9b1c9c","ChannelIDs":["a",1,null]}`,
	`{"messageType":"hello","uaid":"x","channelIDs":[],"connect":{"regid":"r"},"interface":{"ip":"127.0.0.1","port":9}}`,
	`{"messageType":"register","channelID":"fd52438f-1c49-4593-88c3-ff47bc9b1c9c"}`,
	`{"messageType":"unregister","channelID":"c","code":200}`,
	`{"messageType":"ack","updates":[{"channelID":"c","version":7}],"expired":["d"]}`,
	`{}`, `{"messageType":"ping"}`, `{"messageType":"purge"}`, `{"messageType":"nack","version":1}`,
	`{"messageType":"x\u0000"}`, `[]`, `{"messageType":"ack","updates":[{"version":1e3}]}`,
}

// FuzzParseClientMessage: a parsed client message re-encodes to bytes
// that parse to the same message, and encode identically again.
func FuzzParseClientMessage(f *testing.F) {
	for _, s := range clientSeeds {
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, b []byte, autopush bool) {
		d := DialectPushgo
		if autopush {
			d = DialectAutopush
		}
		m, err := ParseClientMessage(b, d)
		if err != nil {
			if CodeOf(err) == CodeServerError && err != ErrMalformed {
				t.Fatalf("%q: untyped error %v", b, err)
			}
			return
		}
		m.OtherChannelIDs = 0 // counted, not kept
		enc := m.Append(nil)
		again, err := ParseClientMessage(enc, d)
		if err != nil {
			t.Fatalf("%q re-encoded as %q: %v", b, enc, err)
		}
		normClient(m)
		normClient(again)
		if !reflect.DeepEqual(m, again) {
			t.Fatalf("%q -> %q:\n%+v\n%+v", b, enc, m, again)
		}
		if enc2 := again.Append(nil); !bytes.Equal(enc, enc2) {
			t.Fatalf("not stable: %q vs %q", enc, enc2)
		}
	})
}

func normClient(m *ClientMessage) {
	if len(m.ChannelIDs) == 0 {
		m.ChannelIDs = nil
	}
	if len(m.Updates) == 0 {
		m.Updates = nil
	}
	if len(m.Expired) == 0 {
		m.Expired = nil
	}
}

// FuzzParseServerMessage: the same property for server messages.
func FuzzParseServerMessage(f *testing.F) {
	for _, s := range []string{
		`{"messageType":"hello","uaid":"u","status":200}`,
		`{"messageType":"register","channelID":"c","status":200,"pushEndpoint":"http://x/update/t","uaid":"u"}`,
		`{"messageType":"notification","updates":[{"channelID":"c","version":1,"data":"d"}],"expired":["e"]}`,
		`{}`, `{"messageType":"ping","status":200}`,
		`{"messageType":"hello","status":307,"redirect":"ws://other/"}`,
		`{"messageType":"hello","reason":"duplicate hello","status":401}`,
		`{"messageType":"odd","status":401,"error":"Unsupported command type"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseServerMessage(b)
		if err != nil {
			return
		}
		if m.Type == TypePing && m.Status == 0 {
			*m = ServerMessage{Type: TypePing} // {} carries nothing else
		}
		if m.Type != TypeNotification && m.Type != TypeUnknown {
			m.TypeText = ""
		}
		enc := m.Append(nil)
		again, err := ParseServerMessage(enc)
		if err != nil {
			t.Fatalf("%q re-encoded as %q: %v", b, enc, err)
		}
		if len(m.Updates) == 0 {
			m.Updates = nil
		}
		if len(again.Updates) == 0 {
			again.Updates = nil
		}
		if !reflect.DeepEqual(m, again) {
			t.Fatalf("%q -> %q:\n%+v\n%+v", b, enc, m, again)
		}
	})
}

// FuzzParseNotify: an accepted PUT body re-encodes to a body that parses
// to the same Notify.
func FuzzParseNotify(f *testing.F) {
	for _, s := range []string{"version=1", "version=1&data=hi", "", "data=%00%ff", "version=-1", "version=1;x", "data=a&data=b&version=2&version=3"} {
		f.Add([]byte(s), "")
	}
	f.Add([]byte(""), "version=5")
	f.Fuzz(func(t *testing.T, body []byte, query string) {
		n, err := ParseNotify(body, query, 64)
		if err != nil {
			if CodeOf(err) == CodeServerError {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if len(n.Data) > 64 {
			t.Fatalf("data over the limit accepted")
		}
		enc := n.Append(nil)
		again, err := ParseNotify(enc, "", 64)
		if err != nil || again != n {
			t.Fatalf("%q %q -> %q: %+v vs %+v (%v)", body, query, enc, n, again, err)
		}
	})
}
