// Package httpipctest provides helpers for testing code that uses httpipc.
package httpipctest

import (
	"context"
	"net/http"
	"sync"
	"testing"

	"github.com/appwire/appwire/httpipc"
)

// MaxMessageSize is the MaxMessageSize of the in-memory channels NewClient
// uses: 64 KiB, the recommended Binder message size.
const MaxMessageSize = 64 << 10

// NewClient serves h over in-memory message channels (httpipc.NewMemPipe)
// and returns an http.Client whose requests reach it. Each connection the
// client dials gets a fresh pipe. Everything is shut down when the test
// ends.
func NewClient(tb testing.TB, h http.Handler) *http.Client {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	srv := &httpipc.Server{Handler: h}
	var wg sync.WaitGroup
	tr := &httpipc.Transport{DialMessage: func(context.Context) (httpipc.MessageConn, error) {
		c, s := httpipc.NewMemPipe(MaxMessageSize)
		wg.Add(1)
		go func() {
			defer wg.Done()
			srv.ServeMessageConn(ctx, s)
		}()
		return c, nil
	}}
	tb.Cleanup(func() {
		tr.Close()
		cancel()
		srv.Close()
		wg.Wait()
	})
	return &http.Client{Transport: tr}
}

// Pipe returns two connected in-memory message channels with
// MaxMessageSize, like net.Pipe for httpipc.MessageConn.
func Pipe() (client, server httpipc.MessageConn) {
	return httpipc.NewMemPipe(MaxMessageSize)
}
