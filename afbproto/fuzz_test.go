package afbproto

import (
	"bytes"
	"testing"
)

var fuzzSeeds = []string{
	`[2,"x7","auth/connect",null]`,
	`[3,"x7",{"response":{"token":"A New Token and Session Context Was Created"},"jtype":"afb-reply","request":{"status":"success","token":"02d4a8bd-3d87-4a7c-8736-85f44bd65271"}},"02d4a8bd-3d87-4a7c-8736-85f44bd65271"]`,
	`[2,"4","auth/check",null,"WRONGTOKEN"]`,
	`[4,"4",{"jtype":"afb-reply","request":{"status":"denied","info":"invalid token's identity"}}]`,
	`[5,"hello/ev9",{"event":"hello/ev9","data":{"x":[1,"a/b"]},"jtype":"afb-event"}]`,
	`[2,1,"hello/ping",not json]`,
	"[2,\n\"1\",\"/ping\",{ \"a\" : [1, \"]\"] }]",
	`{}`, `[]`,
}

// FuzzParseFrame: a frame that parses and validates must encode to bytes
// that parse back to the same frame, and encode again identically.
func FuzzParseFrame(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var fr Frame
		if fr.Parse(b) != nil {
			return
		}
		if fr.Type < FrameCall || fr.Type > FrameEvent {
			t.Fatalf("parsed type %d", fr.Type)
		}
		if fr.Validate() != nil {
			return
		}
		enc := fr.Append(nil)
		var again Frame
		if err := again.Parse(enc); err != nil {
			t.Fatalf("%q re-encoded as %q: %v", b, enc, err)
		}
		if !bytes.Equal(fr.ID, again.ID) || !bytes.Equal(fr.API, again.API) || !bytes.Equal(fr.Verb, again.Verb) ||
			!bytes.Equal(fr.Event, again.Event) || !bytes.Equal(fr.Payload, again.Payload) ||
			!bytes.Equal(fr.Token, again.Token) || fr.HasToken() != again.HasToken() || fr.Type != again.Type {
			t.Fatalf("%q -> %q: frames differ\n%+v\n%+v", b, enc, fr, again)
		}
		if enc2 := again.Append(nil); !bytes.Equal(enc, enc2) {
			t.Fatalf("not stable: %q vs %q", enc, enc2)
		}
	})
}

// FuzzParseReply: a parsed reply re-encodes (in every dialect) to JSON
// that parses back to the members that dialect carries.
func FuzzParseReply(f *testing.F) {
	for _, s := range []string{
		`{"response":"Some String","jtype":"afb-reply","request":{"status":"success","info":"Ping Binder Daemon tag=pingSample count=1 query={ \"x\": \"1\" }","uuid":"047c82bd-3d87-41db-92d3-b02fee715259"}}`,
		`{"response":{"token":"A New Token and Session Context Was Created"},"jtype":"afb-reply","request":{"status":"success","token":"285ec4ce-3d87-40e2-a5b2-cbfb4f7e526b","uuid":"probe-uuid-2"}}`,
		`{"jtype":"afb-reply","request":{"status":"denied","info":"invalid token's identity"}}`,
		`{"jtype":"afb-reply","request":{"status":"success","info":"x","code":0},"response":[1]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var r Reply
		if ParseReply(b, &r) != nil {
			return
		}
		for d := DialectV6; d <= DialectLibafb; d++ {
			enc := AppendReply(nil, &r, d)
			var got Reply
			if err := ParseReply(enc, &got); err != nil {
				t.Fatalf("%v: %q -> %q: %v", d, b, enc, err)
			}
			want := r
			switch d {
			case DialectLibafb:
				want.Token, want.UUID, want.ReqID = "", "", ""
			case DialectAGLFinal:
				want.Token, want.UUID, want.Code = "", "", 0
			default:
				want.Code = 0
			}
			if !bytes.Equal(got.Response, want.Response) || got.Status != want.Status || got.Info != want.Info ||
				got.Token != want.Token || got.UUID != want.UUID || got.ReqID != want.ReqID || got.Code != want.Code {
				t.Fatalf("%v: %q -> %q\n got %+v\nwant %+v", d, b, enc, got, want)
			}
		}
	})
}

// FuzzParseEvent: a parsed event re-encodes to JSON that parses back to
// the same event.
func FuzzParseEvent(f *testing.F) {
	f.Add([]byte(`{"event":"hello/ev9","data":{"x":[1,"a/b"]},"jtype":"afb-event"}`))
	f.Add([]byte(`{"jtype":"afb-event","event":"hello/bcast"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var e EventMsg
		if ParseEvent(b, &e) != nil {
			return
		}
		for _, d := range []Dialect{DialectV6, DialectLibafb} {
			enc := AppendEvent(nil, &e, d)
			var got EventMsg
			if err := ParseEvent(enc, &got); err != nil {
				t.Fatalf("%q -> %q: %v", b, enc, err)
			}
			if got.Event != e.Event || !bytes.Equal(got.Data, e.Data) {
				t.Fatalf("%q -> %q: %+v vs %+v", b, enc, got, e)
			}
		}
	})
}
