package afbproto_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"

	"github.com/appwire/appwire/afbproto"
)

// startExampleBinder serves a reference binder with the hello and auth
// APIs on a free loopback port and returns its API root URL.
func startExampleBinder(token string) (url string, stop func()) {
	b, err := afbproto.NewBinder(afbproto.Options{Token: afbproto.FixedToken(token)})
	if err != nil {
		log.Fatal(err)
	}
	for _, api := range []afbproto.API{afbproto.NewHelloAPI(), afbproto.NewAuthAPI()} {
		if err := b.AddAPI(api); err != nil && !errors.Is(err, afbproto.ErrAPIExists) {
			log.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: b}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String() + "/api", func() {
		srv.Shutdown(context.Background())
		b.Shutdown(context.Background())
	}
}

// Dial opens one WebSocket to a binder; calls may run concurrently on it,
// and refreshed tokens are tracked.
func ExampleDial() {
	url, stop := startExampleBinder("HELLO")
	defer stop()
	ctx := context.Background()

	c, err := afbproto.Dial(ctx, url, afbproto.ClientOptions{Token: "HELLO"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	r, err := c.Call(ctx, "hello", "echo", map[string]int{"x": 1})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(r.Status, string(r.Response))

	if _, err := c.Call(ctx, "auth", "connect", nil); err != nil {
		log.Fatal(err)
	}
	fmt.Println("token refreshed:", c.Token() != "HELLO")

	_, err = c.Call(ctx, "hello", "nosuchverb", nil)
	var ce *afbproto.CallError
	if errors.As(err, &ce) {
		fmt.Println(ce.Status)
	}
	// Output:
	// success {"x":1}
	// token refreshed: true
	// unknown-verb
}

// Events pushed to the connection arrive on a bounded channel.
func ExampleWSClient_Events() {
	url, stop := startExampleBinder("HELLO")
	defer stop()
	ctx := context.Background()

	c, err := afbproto.Dial(ctx, url, afbproto.ClientOptions{Token: "HELLO"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	for _, step := range []struct {
		verb string
		args any
	}{
		{"eventadd", map[string]string{"tag": "t", "name": "temperature"}},
		{"eventsub", map[string]string{"tag": "t"}},
		{"eventpush", map[string]any{"tag": "t", "data": 21.5}},
	} {
		if _, err := c.Call(ctx, "hello", step.verb, step.args); err != nil {
			log.Fatal(err)
		}
	}
	e := <-c.Events()
	fmt.Println(e.Event, string(e.Data))
	// Output:
	// hello/temperature 21.5
}

// NewHTTPClient calls verbs over plain HTTP, keeping the session uuid and
// the token across calls.
func ExampleNewHTTPClient() {
	url, stop := startExampleBinder("HELLO")
	defer stop()
	ctx := context.Background()

	c, err := afbproto.NewHTTPClient(url, afbproto.ClientOptions{Token: "HELLO"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Call(ctx, "auth", "connect", nil); err != nil {
		log.Fatal(err)
	}
	r, err := c.Call(ctx, "auth", "check", nil) // sends the refreshed token
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(r.Response), c.UUID() != "")
	// Output:
	// {"isvalid":true} true
}
