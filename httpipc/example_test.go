package httpipc_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"

	"github.com/appwire/appwire/httpipc"
)

// A server and a client over an in-memory message channel, as an app would
// use over Binder or XPC.
func Example_memPipe() {
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from %s%s", r.Host, r.URL.Path)
	})
	srv := &httpipc.Server{Handler: handler}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	tr := &httpipc.Transport{DialMessage: func(context.Context) (httpipc.MessageConn, error) {
		client, server := httpipc.NewMemPipe(64 << 10)
		go srv.ServeMessageConn(ctx, server)
		return client, nil
	}}
	defer tr.Close()
	client := &http.Client{Transport: tr}

	resp, err := client.Get("http://ipc.localhost/roster")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body))
	// Output: 200 hello from ipc.localhost/roster
}

// A server on a unix socket and a client using it.
func Example_unixSocket() {
	dir, err := os.MkdirTemp("", "httpipc-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "api.sock")

	l, err := net.Listen("unix", path)
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go httpipc.Serve(ctx, l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "pong")
	}))

	tr := httpipc.UnixTransport(path)
	defer tr.Close()
	resp, err := (&http.Client{Transport: tr}).Get("http://ipc.localhost/ping")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(string(body))
	// Output: pong
}
