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

// ExampleClient_Upload sends a file in chunks, then the call that uses it.
func ExampleClient_Upload() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s := limpwire.NewServer(limpwire.Options{})
	_ = s.Register(s.NewBlobModule())
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- s.Serve(sctx, ln) }()
	defer func() { stop(); <-done }()

	c, err := limpwire.Dial(ctx, "ws://"+ln.Addr().String()+"/ws", limpwire.ClientOptions{ChunkSize: 4})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	r, err := c.Upload(ctx, "blob/create", nil, nil, map[string][]limpwire.File{
		"files": {{Name: "hello.txt", Type: "text/plain", Content: []byte("hello, limp")}},
	}, func(p limpwire.UploadProgress) {
		fmt.Printf("chunk %d/%d: %d of %d bytes\n", p.Chunk, p.Total, p.Sent, p.Size)
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	f := r.Args["docs"].([]any)[0].(map[string]any)["files"].([]any)[0].(map[string]any)
	fmt.Println(f["name"], f["size"])
	// Output:
	// chunk 1/3: 4 of 11 bytes
	// chunk 2/3: 8 of 11 bytes
	// chunk 3/3: 11 of 11 bytes
	// hello.txt 11
}

// ExampleClient_Watch follows the changes of a collection.
func ExampleClient_Watch() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s := limpwire.NewServer(limpwire.Options{})
	anyone := []limpwire.Permission{{Privilege: "*"}}
	_ = s.Register(s.NewCollectionModule("note", "APP", limpwire.CollectionPermissions{Read: anyone, Create: anyone}))
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- s.Serve(sctx, ln) }()
	defer func() { stop(); <-done }()

	c, err := limpwire.Dial(ctx, "ws://"+ln.Addr().String()+"/ws", limpwire.ClientOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	w, _ := c.Watch(ctx, "note/watch", limpwire.Q{}.Eq("topic", "go"), nil)
	fmt.Println((<-w.Replies()).Msg)
	_, _ = c.Call(ctx, "note/create", nil, map[string]any{"topic": "rust"})
	_, _ = c.Call(ctx, "note/create", nil, map[string]any{"topic": "go", "text": "hi"})
	r := <-w.Replies()
	fmt.Println(r.Msg, r.Args["oper"], r.Args["docs"].([]any)[0].(map[string]any)["text"])
	_ = w.Stop(ctx)
	// Output:
	// Created watch task.
	// Detected 1 docs. create hi
}
