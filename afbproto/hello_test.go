package afbproto_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/appwire/appwire/afbproto"
	"github.com/appwire/appwire/internal/wsconn"
)

// sendUnmasked writes s as one text frame without a mask, as the 2019
// afb-daemon client library (libafbwsc) does.
func sendUnmasked(t *testing.T, c *wsconn.Conn, s string) {
	t.Helper()
	if _, err := c.NetConn().Write(wsconn.AppendFrame(nil, wsconn.Text, []byte(s), false)); err != nil {
		t.Fatal(err)
	}
}

// A client that never masks its frames completes calls, events and auth
// under V6 and V1, as against afb-daemon; StrictMasking (and the later
// dialects) close such a connection with 1002 as RFC 6455 requires.
func TestServerUnmaskedClientFrames(t *testing.T) {
	for _, d := range []afbproto.Dialect{afbproto.DialectV6, afbproto.DialectV1} {
		t.Run(d.String(), func(t *testing.T) {
			_, srv := startServer(t, afbproto.Options{Token: afbproto.FixedToken("HELLO"), Dialect: d})
			c := srvDial(t, srv, "/api?token=HELLO", wsconn.DialOptions{})
			sendUnmasked(t, c, `[2,"1","hello/ping",null]`)
			if f, r := srvRecvFrame(t, c); f.Type != afbproto.FrameReplyOK || string(r.Response) != `"Some String"` {
				t.Fatalf("ping: %s", f.Append(nil))
			}
			// auth: connect hands out a new token, check accepts it.
			sendUnmasked(t, c, `[2,"2","auth/connect",null]`)
			f, r := srvRecvFrame(t, c)
			if f.Type != afbproto.FrameReplyOK || r.Token == "" {
				t.Fatalf("auth/connect: %s", f.Append(nil))
			}
			sendUnmasked(t, c, `[2,"3","auth/check",null,"`+r.Token+`"]`)
			if f, _ := srvRecvFrame(t, c); f.Type != afbproto.FrameReplyOK {
				t.Fatalf("auth/check: %s", f.Append(nil))
			}
			// events: subscribe, push, receive.
			sendUnmasked(t, c, `[2,"4","hello/eventadd",{"tag":"t","name":"ev"}]`)
			srvRecvFrame(t, c)
			sendUnmasked(t, c, `[2,"5","hello/eventsub",{"tag":"t"}]`)
			if f, _ := srvRecvFrame(t, c); f.Type != afbproto.FrameReplyOK {
				t.Fatalf("eventsub: %s", f.Append(nil))
			}
			sendUnmasked(t, c, `[2,"6","hello/eventpush",{"tag":"t","data":{"n":1}}]`)
			if got := srvRecv(t, c); got != `[5,"hello/ev",{"event":"hello/ev","data":{"n":1},"jtype":"afb-event"}]` {
				t.Fatalf("event: %s", got)
			}
			srvRecvFrame(t, c)
			// Masked frames still work on the same connection.
			srvSend(t, c, `[2,"7","hello/pingnull",null]`)
			if f, _ := srvRecvFrame(t, c); f.Type != afbproto.FrameReplyOK {
				t.Fatalf("masked call: %s", f.Append(nil))
			}
		})
	}
	strict := map[string]afbproto.Options{
		"V6 StrictMasking": {Token: afbproto.FixedToken("HELLO"), StrictMasking: true},
		"AGL-final":        {Dialect: afbproto.DialectAGLFinal},
	}
	for name, opts := range strict {
		t.Run(name, func(t *testing.T) {
			_, srv := startServer(t, opts)
			c := srvDial(t, srv, "/api?token=HELLO", wsconn.DialOptions{})
			sendUnmasked(t, c, `[2,"1","hello/ping",null]`)
			srvExpectClose(t, c, 1002)
		})
	}
}

// V6 sends the cookie of a session created by a WebSocket upgrade only
// with its 401; the 101 carries none.
func TestServerUpgradeCookieOnlyOn401(t *testing.T) {
	_, srv := startServer(t, afbproto.Options{Token: afbproto.FixedToken("HELLO")})
	c := srvDial(t, srv, "/api?token=HELLO", wsconn.DialOptions{})
	if got := c.HandshakeHeader().Get("Set-Cookie"); got != "" {
		t.Errorf("101 of a new session: Set-Cookie %q, want none", got)
	}
	// The session was created all the same: the first call carries its uuid.
	srvSend(t, c, `[2,"1","hello/ping",null]`)
	if _, r := srvRecvFrame(t, c); r.UUID == "" {
		t.Error("first call on the new session: no uuid")
	}
	r := srvGet(t, srv.URL+"/api", "Connection", "Upgrade", "Upgrade", "websocket")
	if r.status != 401 || !strings.HasPrefix(r.header.Get("Set-Cookie"), "x-afb-uuid-"+srvPort(srv)+"=") {
		t.Errorf("401: %d, Set-Cookie %q", r.status, r.header.Get("Set-Cookie"))
	}
	// A 412 or 426 carries no cookie either.
	for _, tc := range []struct {
		hdr  []string
		want int
	}{
		{[]string{"Sec-WebSocket-Version", "8"}, 426},
		{[]string{"Sec-WebSocket-Version", "13", "Sec-WebSocket-Protocol", "other"}, 412},
	} {
		hdr := append([]string{"Connection", "Upgrade", "Upgrade", "websocket", "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}, tc.hdr...)
		r := srvGet(t, srv.URL+"/api?token=HELLO", hdr...)
		if r.status != tc.want || r.header.Get("Set-Cookie") != "" {
			t.Errorf("%v: %d, Set-Cookie %q; want %d and no cookie", tc.hdr, r.status, r.header.Get("Set-Cookie"), tc.want)
		}
	}
}

// Over HTTP, named values come from the query and form fields only: a JSON
// body is the args object and nothing else (hello/eventadd with a JSON body
// and no query fails with "bad arguments", as on afb-daemon).
func TestServerValueIgnoresJSONBody(t *testing.T) {
	_, srv := startServer(t, afbproto.Options{Token: afbproto.AnyToken()})
	r := srvPost(t, srv.URL+"/api/hello/eventadd", "application/json", `{"tag":"t","name":"n"}`)
	if r.reply.Status != "failed" || r.reply.Info != "bad arguments" {
		t.Errorf("eventadd with a JSON body: %s %q", r.reply.Status, r.reply.Info)
	}
	r = srvPost(t, srv.URL+"/api/hello/eventadd?tag=t&name=n", "application/json", `{"x":1}`)
	if r.reply.Status != "success" {
		t.Errorf("eventadd with query values and a JSON body: %s %q", r.reply.Status, r.reply.Info)
	}
	// A query parameter without '=' has no value.
	r = srvGet(t, srv.URL+"/api/hello/get?name=k&k")
	if r.reply.Info != "found for 'k': NULL" {
		t.Errorf("get of a parameter without value: %q", r.reply.Info)
	}
	r = srvGet(t, srv.URL+"/api/hello/get?name=k&k=v")
	if r.reply.Info != "found for 'k': v" {
		t.Errorf("get: %q", r.reply.Info)
	}
}

// The hello API answers as upstream's hello3, verb for verb.
func TestHelloMatchesHello3(t *testing.T) {
	_, srv := startServer(t, afbproto.Options{Token: afbproto.FixedToken("HELLO")})
	c := srvDial(t, srv, "/api?token=HELLO", wsconn.DialOptions{})
	id := 0
	call := func(verb, args string) (afbproto.Frame, afbproto.Reply) {
		t.Helper()
		id++
		srvSend(t, c, `[2,"`+strconv.Itoa(id)+`","hello/`+verb+`",`+args+`]`)
		return srvRecvFrame(t, c)
	}
	type want struct {
		status, info, response string
	}
	check := func(verb, args string, w want) {
		t.Helper()
		_, r := call(verb, args)
		if r.Status != w.status || r.Info != w.info || string(r.Response) != w.response {
			t.Errorf("hello/%s %s: %s %q %s; want %s %q %s", verb, args, r.Status, r.Info, r.Response, w.status, w.info, w.response)
		}
	}
	check("ping", `{"x":"1"}`, want{"success", `Ping Binder Daemon tag=pingSample count=1 query={ "x": "1" }`, `"Some String"`})
	check("pingnull", `null`, want{"success", `Ping Binder Daemon tag=pingNull count=2 query=null`, ``})
	check("pingJson", `{}`, want{"success", `Ping Binder Daemon tag=pingJson count=3 query={ }`,
		`{"myString":"Some String","myInt":1234,"eobj":{"subObjString":"Some String","subObjInt":5678}}`})
	check("pingfail", `null`, want{"failed", "Ping Binder Daemon fails", ``})
	check("eventadd", `{"tag":"t"}`, want{"failed", "bad arguments", ``})
	check("eventadd", `{"tag":"t","name":"n"}`, want{"success", "", ``})
	check("eventadd", `{"tag":"t","name":"m"}`, want{"failed", "creation error", ``})
	check("eventsub", `{}`, want{"failed", "bad arguments", ``})
	check("eventsub", `{"tag":"nope"}`, want{"failed", "subscription error", ``})
	check("eventunsub", `{"tag":"nope"}`, want{"failed", "unsubscription error", ``})
	check("eventpush", `{"tag":"nope","data":1}`, want{"failed", "push error", ``})
	check("eventpush", `{"data":1}`, want{"failed", "bad arguments", ``})
	check("eventpush", `{"tag":"t","data":1}`, want{"success", "", ``})
	check("eventdel", `{"tag":"nope"}`, want{"failed", "deletion error", ``})
	check("eventdel", `{"tag":"t"}`, want{"success", "", ``})
	check("broadcast", `{}`, want{"failed", "bad arguments", ``})
	check("broadcast", `{"tag":"gone","data":1}`, want{"failed", "broadcast error", ``})
	check("hasperm", `{"perm":"p"}`, want{"success", "permission p granted", ``})
	check("uid", `null`, want{"success", "uid is -1", `-1`})
	check("appid", `null`, want{"success", "application is ?", ``})
	check("verbose", `{"message":"m"}`, want{"success", "", ``})
	check("has-loa-1", `null`, want{"denied", "invalid LOA", ``})
	check("set-loa", `2`, want{"success", "LOA set to 2", ``})
	check("has-loa-2", `null`, want{"success", "", ``})
	check("has-loa-3", `null`, want{"denied", "invalid LOA", ``})
	check("setctx", `{"a":1}`, want{"success", "context set", `{"a":1}`})
	check("setctxif", `{"b":2}`, want{"success", "context set", `{"a":1}`})
	check("getctx", `null`, want{"success", "returning the context", `{"a":1}`})
	check("checktok", `null`, want{"success", "", ``})
	check("subcall", `{"api":"hello","verb":"ping"}`, want{"failed", "bad arguments", ``})
	check("subcallsync", `{"api":"hello","verb":"pingfail","args":{}}`,
		want{"failed", `{ "jtype": "afb-reply", "request": { "status": "failed", "info": "Ping Binder Daemon fails" } }`, ``})
	check("subcall", `{"api":"hello","verb":"uid","args":{}}`,
		want{"success", "", `{"response":-1,"jtype":"afb-reply","request":{"status":"success","info":"uid is -1"}}`})
	check("callsync", `{"api":"hello","verb":"pingfail","args":{}}`, want{"failed", "Ping Binder Daemon fails", ``})
	check("call", `{"api":"hello","verb":"uid","args":null}`, want{"success", "uid is -1", `-1`})
	check("get", `{"name":"name"}`, want{"success", "found for 'name': name", ``})
	check("get", `{}`, want{"invalid", "the parameter 'name' is missing", ``})
	check("reply-count", `1`, want{"success", "", ``})
	check("settings", `null`, want{"success", "", `{}`})
	check("close", `null`, want{"success", "session closed", ``})
	// info: the session's uuid and LOA (0 after close).
	if _, r := call("info", `null`); !strings.HasPrefix(string(r.Response), `{"uuid":"`) || !strings.HasSuffix(string(r.Response), `","LOA":0}`) {
		t.Errorf("info: %s", r.Response)
	}
	// pingevent broadcasts hello/event with the args, then replies them.
	srvSend(t, c, `[2,"pe","hello/pingevent",{"k":"v"}]`)
	if got := srvRecv(t, c); got != `[5,"hello/event",{"event":"hello/event","data":{"k":"v"},"jtype":"afb-event"}]` {
		t.Errorf("pingevent event: %s", got)
	}
	if _, r := srvRecvFrame(t, c); string(r.Response) != `{"k":"v"}` || !strings.Contains(r.Info, "tag=event count=") {
		t.Errorf("pingevent reply: %s %q", r.Response, r.Info)
	}
	// set-loa needs a valid token.
	srvSend(t, c, `[2,"bad","hello/set-loa",1,"WRONG"]`)
	if _, r := srvRecvFrame(t, c); r.Status != "denied" || r.Info != "authorisation refused" {
		t.Errorf("set-loa with a wrong token: %s %q", r.Status, r.Info)
	}
}
