package limpwire_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/appwire/appwire/limpwire"
)

// Example serves a LIMP server with an open collection module, then
// signs in as a user and reads what was written.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	s := limpwire.NewServer(limpwire.Options{})
	anyone := []limpwire.Permission{{Privilege: "*"}}
	_ = s.Register(s.NewCollectionModule("note", "APP", limpwire.CollectionPermissions{Read: anyone, Create: anyone}))
	_, _ = s.AddUser(ctx, limpwire.NewUser{Email: "me@example.com", Password: "secret"})
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	hs := &http.Server{Handler: s}
	go hs.Serve(ln)
	defer hs.Close()

	c, err := limpwire.Dial(ctx, "ws://"+ln.Addr().String()+"/ws", limpwire.ClientOptions{App: "example"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	if _, err := c.Auth(ctx, "email", "me@example.com", "wrong"); errors.Is(err, limpwire.ErrInvalidCreds) {
		fmt.Println("wrong password refused")
	}
	if _, err := c.Auth(ctx, "email", "me@example.com", "secret"); err != nil {
		fmt.Println(err)
		return
	}
	_, _ = c.Call(ctx, "note/create", nil, map[string]any{"text": "hello", "n": 1})
	_, _ = c.Call(ctx, "note/create", nil, map[string]any{"text": "world", "n": 2})
	r, err := c.Call(ctx, "note/read", []any{map[string]any{"n": map[string]any{"$gte": 2}}}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Msg, r.Args["docs"].([]any)[0].(map[string]any)["text"])
	// Output:
	// wrong password refused
	// Found 1 docs. world
}

// ExampleKey signs a call as the Angular SDK does and verifies it.
func ExampleKey() {
	key := limpwire.NewKey(limpwire.AnonToken)
	frame, _ := limpwire.AppendSignedFrame(nil, key, &limpwire.Call{
		Endpoint: "conn/verify", Doc: map[string]any{"app": "peer"}, SID: limpwire.AnonSID,
		Token: limpwire.AnonToken, CallID: "s0a1yv",
	})
	f, _ := limpwire.ParseFrame(frame, 0)
	payload, err := key.Verify(f.Token)
	fmt.Println(string(payload), err)
	_, err = limpwire.NewKey("another token").Verify(f.Token)
	fmt.Println(errors.Is(err, limpwire.ErrSignature))
	// Output:
	// {"endpoint":"conn/verify","doc":{"app":"peer"},"sid":"f00000000000000000000012","token":"__ANON_TOKEN_f00000000000000000000012","query":[],"call_id":"s0a1yv"} <nil>
	// true
}

// ExampleAuthHash computes the hash a client sends to session/auth.
func ExampleAuthHash() {
	fmt.Println(limpwire.AuthHash(limpwire.HashLevel50, "username", "the-username-here", "the-password-here", ""))
	// Output: eyJoYXNoIjpbInVzZXJuYW1lIiwidGhlLXVzZXJuYW1lLWhlcmUiLCJ0aGUtcGFzc3dvcmQtaGVyZSJdfQ
}
