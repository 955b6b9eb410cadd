package httpipc_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"

	"github.com/appwire/appwire/httpipc"
)

// A server app serves over a unix socket; the localhost bridge lets an
// unchanged HTTP client reach it through http://127.0.0.1:PORT/.
func ExampleNewBridge() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "app.sock")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// The server app.
	ln, err := httpipc.ListenUnix(ctx, sock)
	if err != nil {
		panic(err)
	}
	srv := &httpipc.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello over IPC, %s", r.Header.Get("Forwarded"))
	})}
	go srv.Serve(ctx, ln)
	defer srv.Close()

	// The bridge, in the client app.
	tr := httpipc.UnixTransport(sock)
	defer tr.Close()
	b := httpipc.NewBridge(tr, httpipc.BridgeOptions{Forwarded: true})
	bl, err := b.Listen(ctx, "") // 127.0.0.1:0
	if err != nil {
		panic(err)
	}
	done := make(chan error, 1)
	go func() { done <- b.Serve(ctx, bl) }()
	defer func() { cancel(); <-done }()

	// Any HTTP client.
	req, _ := http.NewRequest("GET", "http://"+bl.Addr().String()+"/", nil)
	req.Host = "app.localhost"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.Status, string(body))
	// Output: 200 OK hello over IPC, proto=http;host=app.localhost
}
