package afbproto_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/appwire/appwire/afbproto"
)

// Real replies, events and frames captured from the V6-2019 daemon (spec §2
// and §4.2).
var (
	goldenReplies = []string{
		`{"response":"Some String","jtype":"afb-reply","request":{"status":"success","info":"Ping Binder Daemon tag=pingSample count=1 query={ \"x\": \"1\" }","uuid":"047c82bd-3d87-41db-92d3-b02fee715259"}}`,
		`{"response":{"token":"A New Token and Session Context Was Created"},"jtype":"afb-reply","request":{"status":"success","token":"285ec4ce-3d87-40e2-a5b2-cbfb4f7e526b","uuid":"probe-uuid-2"}}`,
		`{"jtype":"afb-reply","request":{"status":"denied","info":"invalid token's identity"}}`,
	}
	goldenEvents = []string{
		`{"event":"hello/ev9","data":{"x":[1,"a/b"]},"jtype":"afb-event"}`,
	}
	goldenFrames = []string{
		`[2,"x7","auth/connect",null]`,
		`[3,"x7",{"response":{"token":"A New Token and Session Context Was Created"},"jtype":"afb-reply","request":{"status":"success","token":"02d4a8bd-3d87-4a7c-8736-85f44bd65271"}},"02d4a8bd-3d87-4a7c-8736-85f44bd65271"]`,
		`[2,"4","auth/check",null,"WRONGTOKEN"]`,
		`[4,"4",{"jtype":"afb-reply","request":{"status":"denied","info":"invalid token's identity"}}]`,
		`[5,"hello/ev9",{"event":"hello/ev9","data":{"x":[1,"a/b"]},"jtype":"afb-event"}]`,
	}
)

func TestGoldenRepliesRoundTrip(t *testing.T) {
	for _, g := range goldenReplies {
		var r afbproto.Reply
		if err := afbproto.ParseReply([]byte(g), &r); err != nil {
			t.Fatalf("%s: %v", g, err)
		}
		if got := afbproto.AppendReply(nil, &r, afbproto.DialectV6); string(got) != g {
			t.Errorf("re-encoded\n got %s\nwant %s", got, g)
		}
	}
}

func TestGoldenReplyFields(t *testing.T) {
	var r afbproto.Reply
	if err := afbproto.ParseReply([]byte(goldenReplies[1]), &r); err != nil {
		t.Fatal(err)
	}
	if !r.OK() || r.Token != "285ec4ce-3d87-40e2-a5b2-cbfb4f7e526b" || r.UUID != "probe-uuid-2" ||
		string(r.Response) != `{"token":"A New Token and Session Context Was Created"}` {
		t.Fatalf("parsed %+v", r)
	}
}

func TestReplyDialectOrder(t *testing.T) {
	r := afbproto.Reply{Response: []byte(`1`), Status: "success", Info: "i", Token: "t", UUID: "u", ReqID: "R42", Code: -2}
	want := map[afbproto.Dialect]string{
		afbproto.DialectV6:       `{"response":1,"jtype":"afb-reply","request":{"status":"success","info":"i","token":"t","uuid":"u","reqid":"R42"}}`,
		afbproto.DialectV1:       `{"response":1,"jtype":"afb-reply","request":{"status":"success","info":"i","reqid":"R42","token":"t","uuid":"u"}}`,
		afbproto.DialectAGLFinal: `{"response":1,"jtype":"afb-reply","request":{"status":"success","info":"i","reqid":"R42"}}`,
		afbproto.DialectLibafb:   `{"jtype":"afb-reply","request":{"status":"success","info":"i","code":-2},"response":1}`,
	}
	for d, w := range want {
		if got := afbproto.AppendReply(nil, &r, d); string(got) != w {
			t.Errorf("%v:\n got %s\nwant %s", d, got, w)
		}
	}
	// A null response is omitted in every dialect.
	r = afbproto.Reply{Response: []byte(`null`), Status: "failed"}
	if got := afbproto.AppendReply(nil, &r, afbproto.DialectV6); string(got) != `{"jtype":"afb-reply","request":{"status":"failed"}}` {
		t.Errorf("null response: %s", got)
	}
}

func TestStringEscaping(t *testing.T) {
	r := afbproto.Reply{Status: "x", Info: "a\"b\\c/d\n\x01é\xff"}
	got := afbproto.AppendReply(nil, &r, afbproto.DialectV6)
	want := `{"jtype":"afb-reply","request":{"status":"x","info":"a\"b\\c/d\n\u0001é\ufffd"}}`
	if string(got) != want {
		t.Fatalf("got %s\nwant %s", got, want)
	}
}

func TestGoldenEventsRoundTrip(t *testing.T) {
	for _, g := range goldenEvents {
		var e afbproto.EventMsg
		if err := afbproto.ParseEvent([]byte(g), &e); err != nil {
			t.Fatal(err)
		}
		if e.Event != "hello/ev9" || string(e.Data) != `{"x":[1,"a/b"]}` {
			t.Fatalf("parsed %+v", e)
		}
		if got := afbproto.AppendEvent(nil, &e, afbproto.DialectV6); string(got) != g {
			t.Errorf("got %s\nwant %s", got, g)
		}
		if got := afbproto.AppendEvent(nil, &e, afbproto.DialectLibafb); string(got) != `{"jtype":"afb-event","event":"hello/ev9","data":{"x":[1,"a/b"]}}` {
			t.Errorf("libafb: %s", got)
		}
	}
}

func TestGoldenFramesRoundTrip(t *testing.T) {
	for _, g := range goldenFrames {
		var f afbproto.Frame
		if err := f.Parse([]byte(g)); err != nil {
			t.Fatalf("%s: %v", g, err)
		}
		if err := f.Validate(); err != nil {
			t.Fatalf("%s: %v", g, err)
		}
		if got := f.Append(nil); string(got) != g {
			t.Errorf("got %s\nwant %s", got, g)
		}
	}
	var f afbproto.Frame
	f.Parse([]byte(goldenFrames[2]))
	if f.Type != afbproto.FrameCall || string(f.ID) != "4" || string(f.API) != "auth" ||
		string(f.Verb) != "check" || string(f.Payload) != "null" || string(f.Token) != "WRONGTOKEN" {
		t.Fatalf("parsed %+v", f)
	}
	if got := afbproto.AppendCall(nil, "4", "auth", "check", nil, "WRONGTOKEN"); string(got) != goldenFrames[2] {
		t.Fatalf("AppendCall: %s", got)
	}
}

// TestFrameQuirks pins the reference scanner's behaviour (spec §4.2).
func TestFrameQuirks(t *testing.T) {
	tests := []struct {
		in, id, api, verb, args, out string
		unsafe                       bool
	}{
		{in: `[2,1,"hello/ping",null]`, id: `1`, api: "hello", verb: "ping", args: "null", out: `[2,"1","hello/ping",null]`},
		{in: `[2,"a\"b","hello/ping",{}]`, id: `a\"b`, api: "hello", verb: "ping", args: "{}", out: `[2,"a\"b","hello/ping",{}]`},
		{in: `[2,"1","hello/ping",not json]`, id: "1", api: "hello", verb: "ping", args: `"not json"`, out: `[2,"1","hello/ping","not json"]`},
		{in: `[ 2 , "1" ,  "hello/ping" , { "a": 1 } ]`, id: "1", api: "hello", verb: "ping", args: `{ "a": 1 }`, out: `[2,"1","hello/ping",{ "a": 1 }]`},
		{in: `[2,"1","/ping",null]`, id: "1", api: "", verb: "ping", args: "null", out: `[2,"1","/ping",null]`},
		{in: `[2,"1","hello/ping/extra",null]`, id: "1", api: "hello", verb: "ping/extra", args: "null", out: `[2,"1","hello/ping/extra",null]`},
		{in: "[2,\n\"1\",\"hello/ping\",null]", id: "\n\"1\"", api: "hello", verb: "ping", args: "null", out: "[2,\"\n\"1\"\",\"hello/ping\",null]", unsafe: true},
		{in: `[2,"1","hello/ping",]`, id: "1", api: "hello", verb: "ping", args: `""`, out: `[2,"1","hello/ping",""]`},
	}
	for _, tt := range tests {
		var f afbproto.Frame
		if err := f.Parse([]byte(tt.in)); err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		if string(f.ID) != tt.id || string(f.API) != tt.api || string(f.Verb) != tt.verb || string(f.Payload) != tt.args {
			t.Errorf("%q: parsed id=%q api=%q verb=%q args=%q", tt.in, f.ID, f.API, f.Verb, f.Payload)
		}
		if got := f.Append(nil); string(got) != tt.out {
			t.Errorf("%q: re-encoded %q want %q", tt.in, got, tt.out)
		}
		if err := f.Validate(); (err != nil) != tt.unsafe || tt.unsafe && !errors.Is(err, afbproto.ErrUnsafeText) {
			t.Errorf("%q: Validate() = %v", tt.in, err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	frames := []struct {
		in   string
		want error
	}{
		{`{}`, afbproto.ErrMalformedFrame},
		{``, afbproto.ErrMalformedFrame},
		{`[]`, afbproto.ErrElementCount},
		{`[2,"1","a/b",null`, afbproto.ErrMalformedFrame},
		{`[2,"1,"a/b",null]`, afbproto.ErrMalformedFrame},
		{`[2,"1","a/b",null] x`, afbproto.ErrMalformedFrame},
		{"\t[2,\"1\",\"a/b\",null]", afbproto.ErrMalformedFrame},
		{`[2,"1","a/b"]`, afbproto.ErrElementCount},
		{`[2,"1","a/b",1,"t",6]`, afbproto.ErrElementCount},
		{`[3,"1"]`, afbproto.ErrElementCount},
		{`[5,"a/b",{},1]`, afbproto.ErrElementCount},
		{`[1,2,3,4,5,6,7,8,9,10,11]`, afbproto.ErrElementCount},
		{`[22,"1","a/b",null]`, afbproto.ErrFrameType},
		{`[1,"1","a/b",null]`, afbproto.ErrFrameType},
		{`[6,"1","a/b",null]`, afbproto.ErrFrameType},
		{`["2","1","a/b",null]`, afbproto.ErrFrameType},
		{`[2,"1","ab",null]`, afbproto.ErrBadMethod},
		{`[2,"1","a/",null]`, afbproto.ErrBadMethod},
		{`[2,"1","a//b",null]`, afbproto.ErrBadMethod},
		{`[3,"1",null]`, afbproto.ErrMalformedJSON},
		{`[4,"1",{"a":}]`, afbproto.ErrMalformedJSON},
		{`[5,"a/b",[1]]`, afbproto.ErrMalformedJSON},
	}
	for _, tt := range frames {
		var f afbproto.Frame
		err := f.Parse([]byte(tt.in))
		var pe *afbproto.ParseError
		if !errors.Is(err, tt.want) || !errors.As(err, &pe) {
			t.Errorf("Parse(%q) = %v, want %v in a *ParseError", tt.in, err, tt.want)
		}
	}
	replies := []struct {
		in   string
		want error
	}{
		{`{`, afbproto.ErrMalformedJSON},
		{`[1]`, afbproto.ErrMalformedJSON},
		{`{"jtype":"afb-event","request":{"status":"success"}}`, afbproto.ErrNotReply},
		{`{"request":{"status":"success"}}`, afbproto.ErrNotReply},
		{`{"jtype":"afb-reply"}`, afbproto.ErrNotReply},
		{`{"jtype":"afb-reply","request":{"status":1}}`, afbproto.ErrNotReply},
		{`{"jtype":"afb-reply","request":{"info":"x"}}`, afbproto.ErrNotReply},
		{`{"jtype":"afb-reply","request":{"status":"x","code":"1"}}`, afbproto.ErrNotReply},
		{`{"jtype":"afb-reply","request":[]}`, afbproto.ErrNotReply},
	}
	for _, tt := range replies {
		var r afbproto.Reply
		if err := afbproto.ParseReply([]byte(tt.in), &r); !errors.Is(err, tt.want) {
			t.Errorf("ParseReply(%q) = %v, want %v", tt.in, err, tt.want)
		}
	}
	events := []struct {
		in   string
		want error
	}{
		{`nope`, afbproto.ErrMalformedJSON},
		{`"x"`, afbproto.ErrMalformedJSON},
		{`{"jtype":"afb-event"}`, afbproto.ErrNotEvent},
		{`{"event":"a/b"}`, afbproto.ErrNotEvent},
		{`{"event":1,"jtype":"afb-event"}`, afbproto.ErrNotEvent},
	}
	for _, tt := range events {
		var e afbproto.EventMsg
		if err := afbproto.ParseEvent([]byte(tt.in), &e); !errors.Is(err, tt.want) {
			t.Errorf("ParseEvent(%q) = %v, want %v", tt.in, err, tt.want)
		}
	}
}

func TestParseErrorText(t *testing.T) {
	var f afbproto.Frame
	err := f.Parse([]byte(`[9]`))
	if got := err.Error(); got != "afbproto: bad frame type: the code must be one character 2-5 (offset 1)" {
		t.Fatalf("got %q", got)
	}
}

func TestParseReplyTolerant(t *testing.T) {
	in := `{ "request" : { "code" : -5, "uuid":null, "status":"x\u0079", "extra":[1,{"a":"}"}] }, "jtype":"afb-reply", "response" : null }`
	var r afbproto.Reply
	if err := afbproto.ParseReply([]byte(in), &r); err != nil {
		t.Fatal(err)
	}
	if r.Status != "xy" || r.Code != -5 || r.Response != nil || r.UUID != "" {
		t.Fatalf("parsed %+v", r)
	}
}

func TestFrameParseDoesNotAllocate(t *testing.T) {
	in := []byte(goldenFrames[1])
	var f afbproto.Frame
	// AllocsPerRun counts every goroutine's allocations: a goroutine an
	// earlier test left finishing (a server shutting down) can add its
	// own, so the fewest of a few measurements is the codec's.
	allocs := func(fn func()) float64 {
		least := testing.AllocsPerRun(100, fn)
		for i := 0; i < 4 && least > 0; i++ {
			least = min(least, testing.AllocsPerRun(100, fn))
		}
		return least
	}
	if n := allocs(func() { f.Parse(in) }); n != 0 {
		t.Errorf("Frame.Parse allocates %v times per frame", n)
	}
	buf := make([]byte, 0, 512)
	if n := allocs(func() { buf = f.Append(buf[:0]) }); n != 0 {
		t.Errorf("Frame.Append allocates %v times per frame", n)
	}
	if !bytes.Equal(buf, in) {
		t.Fatal("round trip")
	}
}
