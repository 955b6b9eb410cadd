package loopapi_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/http"
	"time"

	"github.com/appwire/appwire/loopapi"
	"github.com/appwire/appwire/simplepush"
)

// serve runs h on a loopback port until ctx ends and returns its URL.
func serve(ctx context.Context, h http.Handler) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	hs := &http.Server{Handler: h}
	go func() { _ = hs.Serve(ln) }()
	go func() { <-ctx.Done(); _ = hs.Close() }()
	return "http://" + ln.Addr().String()
}

// The whole flow: the callee registers with SimplePush and Loop and
// makes a call URL; a caller calls it; the callee is woken through
// SimplePush, lists the call with the version it was woken with, and
// both parties reach "connected" on the call websocket.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	push, _ := simplepush.NewServer(simplepush.Options{})
	defer push.Close()
	pushURL := "ws" + serve(ctx, push)[len("http"):] + "/"
	loop, _ := loopapi.NewServer(loopapi.Options{})
	defer loop.Close()
	loopURL := serve(ctx, loop)

	// The callee's browser.
	ua, err := simplepush.Dial(ctx, pushURL, simplepush.ClientOptions{})
	if err != nil {
		log.Fatal(err)
	}
	defer ua.Close()
	endpoint, _ := ua.Register(ctx, "")
	callee, _ := loopapi.NewClient(loopURL, loopapi.ClientOptions{})
	if err := callee.Register(ctx, map[string]string{loopapi.TopicCalls: endpoint}); err != nil {
		log.Fatal(err)
	}
	link, _ := callee.CreateCallURL(ctx, loopapi.CallURLRequest{CallerID: "alice@example.com"})

	// The caller clicks the link.
	caller, _ := loopapi.NewClient(loopURL, loopapi.ClientOptions{})
	placed, err := caller.Call(ctx, link.CallToken, loopapi.CallRequest{CallType: loopapi.CallTypeAudioVideo})
	if err != nil {
		log.Fatal(err)
	}

	// The callee is woken and fetches the call.
	woken := <-ua.Notifications()
	calls, _ := callee.Calls(ctx, int64(woken.Version))
	fmt.Println("calls since the wake-up:", len(calls))

	cr, _ := loopapi.DialCall(ctx, placed.ProgressURL, placed.CallID, placed.WebsocketToken)
	defer cr.Close()
	ce, _ := loopapi.DialCall(ctx, calls[0].ProgressURL, calls[0].CallID, calls[0].WebsocketToken)
	defer ce.Close()
	_ = ce.Await(ctx, loopapi.StateAlerting)
	_ = ce.Accept(ctx)
	for _, c := range []*loopapi.CallConn{cr, ce} {
		_ = c.Await(ctx, loopapi.StateConnecting)
		_ = c.MediaUp(ctx)
	}
	for _, c := range []*loopapi.CallConn{cr, ce} {
		fmt.Println(c.Await(ctx, loopapi.StateConnected) == nil, c.State())
	}
	// Output:
	// calls since the wake-up: 1
	// true connected
	// true connected
}

// A server mounted under a prefix of an existing mux. Clients are given
// the prefixed URL.
func ExampleNewServer() {
	srv, err := loopapi.NewServer(loopapi.Options{
		Profile:         loopapi.ProfileHead,
		CallURLTemplate: "https://hello.example/c/{token}",
		PushServerURIs:  []string{"wss://push.example/"},
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/loop/", http.StripPrefix("/loop", srv))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	base := serve(ctx, mux)
	c, _ := loopapi.NewClient(base+"/loop", loopapi.ClientOptions{})
	cfg, _ := c.PushServerConfig(ctx)
	fmt.Println(cfg.PushServerURI)
	_ = c.Register(ctx, nil)
	_, err = c.CreateCallURL(ctx, loopapi.CallURLRequest{CallerID: "x"})
	fmt.Println(err)
	// Output:
	// wss://push.example/
	// loopapi: 405 errno 204: No longer supported
}
