package afbproto_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/appwire/appwire/afbproto"
	"github.com/appwire/appwire/internal/wsconn"
)

// A binder with the built-in APIs, called over HTTP.
func ExampleNewBinder() {
	b, err := afbproto.NewBinder(afbproto.Options{Token: afbproto.FixedToken("HELLO")})
	if err != nil {
		panic(err)
	}
	b.AddAPI(afbproto.NewAuthAPI())
	b.AddAPI(afbproto.NewHelloAPI())
	srv := httptest.NewServer(b) // or b.Serve(ctx, listener)
	defer srv.Close()

	res, err := http.Get(srv.URL + "/api/hello/pingfail")
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var r afbproto.Reply
	afbproto.ParseReply(body, &r)
	fmt.Println(res.StatusCode, r.Status, r.Info)
	// Output: 200 failed Ping Binder Daemon fails
}

// A binding with one verb that needs a valid token and LOA 1.
func ExampleBinder_AddAPI() {
	b, _ := afbproto.NewBinder(afbproto.Options{Token: afbproto.AnyToken()})
	err := b.AddAPI(afbproto.API{
		Name: "greeter",
		Verbs: []afbproto.Verb{{
			Name:    "greet",
			Session: afbproto.SessionLOA1,
			Handler: func(r *afbproto.Request) {
				name, ok := r.Value("name")
				if !ok {
					r.Fail(afbproto.StatusInvalidRequest, "missing name")
					return
				}
				r.Reply(map[string]string{"greeting": "hello " + name}, "")
			},
		}},
	})
	fmt.Println(err)
	// Output: <nil>
}

// Calling over the x-afb-ws-json1 WebSocket protocol and reading the
// event a verb pushes before its reply.
func ExampleEvent_Push() {
	b, _ := afbproto.NewBinder(afbproto.Options{Token: afbproto.AnyToken()})
	b.AddAPI(afbproto.NewHelloAPI())
	srv := httptest.NewServer(b)
	defer srv.Close()
	ctx := context.Background()

	c, err := wsconn.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/api",
		wsconn.DialOptions{Protocols: []string{afbproto.Subprotocol}})
	if err != nil {
		panic(err)
	}
	defer c.Close(ctx, wsconn.StatusNormalClosure, "")
	for i, call := range []string{
		`[2,"1","hello/eventadd",{"tag":"t","name":"ev9"}]`,
		`[2,"2","hello/eventsub",{"tag":"t"}]`,
		`[2,"3","hello/eventpush",{"tag":"t","data":{"x":1}}]`,
	} {
		c.WriteText(ctx, []byte(call))
		if i == 2 {
			_, msg, _ := c.ReadMessage(ctx, nil)
			fmt.Println(string(msg))
		}
		_, msg, _ := c.ReadMessage(ctx, nil)
		var f afbproto.Frame
		f.Parse(msg)
		fmt.Println(f.Type, string(f.ID))
	}
	// Output:
	// reply-ok 1
	// reply-ok 2
	// [5,"hello/ev9",{"event":"hello/ev9","data":{"x":1},"jtype":"afb-event"}]
	// reply-ok 3
}

func ExampleAppendReply() {
	r := afbproto.Reply{Status: afbproto.StatusDenied, Info: afbproto.InfoInvalidToken}
	fmt.Println(string(afbproto.AppendReply(nil, &r, afbproto.DialectV6)))
	// Output: {"jtype":"afb-reply","request":{"status":"denied","info":"invalid token's identity"}}
}

func ExampleFrame_Parse() {
	var f afbproto.Frame
	err := f.Parse([]byte(`[2,1,"hello/ping",not json,"T"]`))
	fmt.Println(err, f.Type, string(f.ID), string(f.API), string(f.Verb), string(f.Payload), string(f.Token))
	fmt.Println(string(f.Append(nil)))
	// Output:
	// <nil> call 1 hello ping "not json" T
	// [2,"1","hello/ping","not json","T"]
}
