package afbproto_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/appwire/appwire/afbproto"
	"pgregory.net/rapid"
)

// jsonValue draws an arbitrary JSON value, compactly encoded.
func jsonValue() *rapid.Generator[json.RawMessage] {
	leaf := rapid.OneOf(
		rapid.Just[any](nil), rapid.Just[any](true),
		rapid.Map(rapid.Int(), func(n int) any { return n }),
		rapid.Map(rapid.String(), func(s string) any { return s }),
	)
	val := rapid.OneOf(leaf,
		rapid.Map(rapid.SliceOfN(leaf, 0, 4), func(v []any) any { return v }),
		rapid.Map(rapid.MapOfN(rapid.String(), leaf, 0, 4), func(m map[string]any) any { return m }),
	)
	return rapid.Map(val, func(v any) json.RawMessage {
		b, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		return b
	})
}

// textElem draws the text of an ID, token or name: a valid JSON string
// body, which is what survives a textual round trip.
func textElem() *rapid.Generator[[]byte] {
	return rapid.Map(rapid.String(), func(s string) []byte {
		b, _ := json.Marshal(s)
		return b[1 : len(b)-1]
	})
}

var dialects = []afbproto.Dialect{afbproto.DialectV6, afbproto.DialectV1, afbproto.DialectAGLFinal, afbproto.DialectLibafb}

// carried drops the members dialect d does not carry.
func carried(r afbproto.Reply, d afbproto.Dialect) afbproto.Reply {
	if bytes.Equal(r.Response, []byte("null")) {
		r.Response = nil
	}
	switch d {
	case afbproto.DialectLibafb:
		r.Token, r.UUID, r.ReqID = "", "", ""
	case afbproto.DialectAGLFinal:
		r.Token, r.UUID, r.Code = "", "", 0
	default:
		r.Code = 0
	}
	return r
}

func TestReplyRoundTripProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r := afbproto.Reply{
			Response: rapid.OneOf(rapid.Just[json.RawMessage](nil), jsonValue()).Draw(t, "response"),
			Status:   rapid.StringN(1, -1, -1).Draw(t, "status"),
			Info:     rapid.String().Draw(t, "info"),
			Token:    rapid.String().Draw(t, "token"),
			UUID:     rapid.String().Draw(t, "uuid"),
			ReqID:    rapid.String().Draw(t, "reqid"),
			Code:     rapid.IntRange(-200, 0).Draw(t, "code"),
		}
		d := rapid.SampledFrom(dialects).Draw(t, "dialect")
		enc := afbproto.AppendReply(nil, &r, d)
		if !json.Valid(enc) {
			t.Fatalf("invalid JSON %s", enc)
		}
		var got afbproto.Reply
		if err := afbproto.ParseReply(enc, &got); err != nil {
			t.Fatalf("%s: %v", enc, err)
		}
		if want := carried(r, d); !replyEqual(got, want) {
			t.Fatalf("%s\n got %+v\nwant %+v", enc, got, want)
		}
		if again := afbproto.AppendReply(nil, &got, d); !bytes.Equal(again, enc) {
			t.Fatalf("re-encoding differs:\n%s\n%s", enc, again)
		}
	})
}

func replyEqual(a, b afbproto.Reply) bool {
	return bytes.Equal(a.Response, b.Response) && a.Status == b.Status && a.Info == b.Info &&
		a.Token == b.Token && a.UUID == b.UUID && a.ReqID == b.ReqID && a.Code == b.Code
}

func TestEventRoundTripProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		e := afbproto.EventMsg{
			Event: rapid.StringN(1, -1, -1).Draw(t, "event"),
			Data:  rapid.OneOf(rapid.Just[json.RawMessage](nil), jsonValue()).Draw(t, "data"),
		}
		d := rapid.SampledFrom(dialects).Draw(t, "dialect")
		enc := afbproto.AppendEvent(nil, &e, d)
		var got afbproto.EventMsg
		if err := afbproto.ParseEvent(enc, &got); err != nil {
			t.Fatalf("%s: %v", enc, err)
		}
		if got.Event != e.Event || !bytes.Equal(got.Data, e.Data) {
			t.Fatalf("%s: got %+v", enc, got)
		}
	})
}

func TestFrameRoundTripProperty(t *testing.T) {
	obj := rapid.Map(jsonValue(), func(v json.RawMessage) json.RawMessage {
		return append(append([]byte(`{"v":`), v...), '}')
	})
	rapid.Check(t, func(t *rapid.T) {
		var f afbproto.Frame
		f.Type = rapid.SampledFrom([]afbproto.FrameType{afbproto.FrameCall, afbproto.FrameReplyOK, afbproto.FrameReplyError, afbproto.FrameEvent}).Draw(t, "type")
		withToken := rapid.Bool().Draw(t, "withToken")
		switch f.Type {
		case afbproto.FrameCall:
			f.ID = textElem().Draw(t, "id")
			f.API = rapid.Map(textElem(), func(b []byte) []byte { return bytes.ReplaceAll(b, []byte("/"), nil) }).Draw(t, "api")
			f.Verb = rapid.Map(rapid.StringMatching(`[a-zA-Z0-9_][a-zA-Z0-9_/ -]*`), func(s string) []byte { return []byte(s) }).Draw(t, "verb")
			f.Payload = jsonValue().Draw(t, "args")
		case afbproto.FrameEvent:
			f.Event = textElem().Draw(t, "event")
			f.Payload = obj.Draw(t, "event object")
			withToken = false
		default:
			f.ID = textElem().Draw(t, "id")
			f.Payload = obj.Draw(t, "reply object")
		}
		if withToken {
			f.Token = textElem().Draw(t, "token")
			if f.Token == nil {
				f.Token = []byte{}
			}
		}
		enc := f.Append(nil)
		var got afbproto.Frame
		if err := got.Parse(enc); err != nil {
			t.Fatalf("%s: %v", enc, err)
		}
		if err := got.Validate(); err != nil {
			t.Fatalf("%s: %v", enc, err)
		}
		if !framesEqual(&got, &f) {
			t.Fatalf("%s:\n got %+v\nwant %+v", enc, got, f)
		}
	})
}

func framesEqual(a, b *afbproto.Frame) bool {
	nilOrEqual := func(x, y []byte) bool { return (x == nil) == (y == nil) && bytes.Equal(x, y) }
	return a.Type == b.Type && bytes.Equal(a.ID, b.ID) && bytes.Equal(a.API, b.API) &&
		bytes.Equal(a.Verb, b.Verb) && bytes.Equal(a.Event, b.Event) &&
		bytes.Equal(a.Payload, b.Payload) && nilOrEqual(a.Token, b.Token)
}

func TestParseDialect(t *testing.T) {
	for _, d := range dialects {
		got, err := afbproto.ParseDialect(d.String())
		if err != nil || got != d {
			t.Errorf("ParseDialect(%q) = %v, %v", d.String(), got, err)
		}
	}
	if _, err := afbproto.ParseDialect("2017"); err == nil {
		t.Error("ParseDialect accepted 2017")
	}
}
