package simplepush_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/appwire/appwire/simplepush"
	"pgregory.net/rapid"
)

// text draws a string that survives JSON (valid UTF-8).
func text() *rapid.Generator[string] { return rapid.String() }

func updates(withData bool) *rapid.Generator[[]simplepush.Update] {
	return rapid.SliceOfN(rapid.Custom(func(t *rapid.T) simplepush.Update {
		u := simplepush.Update{ChannelID: text().Draw(t, "chid"), Version: rapid.Uint64().Draw(t, "version")}
		if withData {
			u.Data = text().Draw(t, "data")
		}
		return u
	}), 0, 4)
}

func rawObj() *rapid.Generator[json.RawMessage] {
	return rapid.Map(rapid.MapOfN(rapid.String(), rapid.OneOf(
		rapid.Map(rapid.Int(), func(n int) any { return n }),
		rapid.Map(rapid.String(), func(s string) any { return s }),
	), 0, 3), func(m map[string]any) json.RawMessage {
		b, _ := json.Marshal(m)
		return b
	})
}

func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

// TestClientRoundTrip: every client message type encodes to JSON that
// parses back to the same message, in both dialects.
func TestClientRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		typ := rapid.SampledFrom([]simplepush.MessageType{
			simplepush.TypeHello, simplepush.TypeRegister, simplepush.TypeUnregister,
			simplepush.TypeAck, simplepush.TypePing, simplepush.TypePurge, simplepush.TypeNack,
		}).Draw(t, "type")
		m := simplepush.ClientMessage{Type: typ, TypeText: typ.String()}
		switch typ {
		case simplepush.TypeHello:
			m.HasUAID = rapid.Bool().Draw(t, "hasUAID")
			if m.HasUAID {
				m.UAID = text().Draw(t, "uaid")
			}
			m.HasChannelIDs = rapid.Bool().Draw(t, "hasChannelIDs")
			if m.HasChannelIDs {
				m.ChannelIDs = nilIfEmpty(rapid.SliceOfN(text(), 0, 5).Draw(t, "channelIDs"))
			}
			if rapid.Bool().Draw(t, "connect") {
				m.Connect = rawObj().Draw(t, "connectObj")
			}
			if rapid.Bool().Draw(t, "interface") {
				m.Interface = rawObj().Draw(t, "interfaceObj")
			}
			m.Protocol = text().Draw(t, "protocol")
		case simplepush.TypeRegister, simplepush.TypeUnregister:
			m.HasChannelID = rapid.Bool().Draw(t, "hasChannelID")
			if m.HasChannelID {
				m.ChannelID = text().Draw(t, "channelID")
			}
		case simplepush.TypeAck:
			m.HasUpdates = rapid.Bool().Draw(t, "hasUpdates")
			if m.HasUpdates {
				m.Updates = nilIfEmpty(updates(false).Draw(t, "updates"))
			}
			m.HasExpired = rapid.Bool().Draw(t, "hasExpired")
			if m.HasExpired {
				m.Expired = nilIfEmpty(rapid.SliceOfN(text(), 0, 3).Draw(t, "expired"))
			}
		case simplepush.TypePing:
			if rapid.Bool().Draw(t, "bare") {
				m.TypeText = ""
			}
		}
		for _, d := range []simplepush.Dialect{simplepush.DialectPushgo, simplepush.DialectAutopush} {
			enc := m.Append(nil)
			got, err := simplepush.ParseClientMessage(enc, d)
			if err != nil {
				t.Fatalf("%s: %v", enc, err)
			}
			if got.HasExpired && got.Expired != nil && len(got.Expired) == 0 {
				got.Expired = nil
			}
			if !reflect.DeepEqual(*got, m) {
				t.Fatalf("%s (%v):\n got %+v\nwant %+v", enc, d, *got, m)
			}
		}
	})
}

// TestServerRoundTrip: every server message type round-trips.
func TestServerRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		typ := rapid.SampledFrom([]simplepush.MessageType{
			simplepush.TypeHello, simplepush.TypeRegister, simplepush.TypeUnregister,
			simplepush.TypeNotification, simplepush.TypePing,
		}).Draw(t, "type")
		m := simplepush.ServerMessage{Type: typ, Status: rapid.SampledFrom([]int{0, 200, 401, 503}).Draw(t, "status")}
		switch typ {
		case simplepush.TypeHello:
			m.UAID = text().Draw(t, "uaid")
			m.Redirect = text().Draw(t, "redirect")
			m.Env = text().Draw(t, "env")
			m.Ping = rapid.IntRange(0, 1<<30).Draw(t, "ping")
		case simplepush.TypeRegister, simplepush.TypeUnregister:
			m.UAID = text().Draw(t, "uaid")
			m.ChannelID = text().Draw(t, "chid")
			m.PushEndpoint = text().Draw(t, "endpoint")
		case simplepush.TypeNotification:
			m.Status = 0
			m.Updates = nilIfEmpty(updates(true).Draw(t, "updates"))
			m.Expired = nilIfEmpty(rapid.SliceOfN(text(), 0, 3).Draw(t, "expired"))
		}
		m.Error = text().Draw(t, "error")
		m.Reason = text().Draw(t, "reason")
		if typ == simplepush.TypePing && m.Status == 0 {
			m = simplepush.ServerMessage{Type: simplepush.TypePing}
		}
		enc := m.Append(nil)
		got, err := simplepush.ParseServerMessage(enc)
		if err != nil {
			t.Fatalf("%s: %v", enc, err)
		}
		if !reflect.DeepEqual(*got, m) {
			t.Fatalf("%s:\n got %+v\nwant %+v", enc, *got, m)
		}
	})
}
