package loopapi_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/appwire/appwire/internal/testserver"
	"github.com/appwire/appwire/internal/wsconn"
	"github.com/appwire/appwire/loopapi"
	"github.com/appwire/appwire/loopapi/loopapitest"
)

// TestWakeDoesNotBlockAndShutdownDrains: the caller's answer does not
// wait for a push server that holds the PUT; Shutdown waits for that PUT
// to finish; a push server that never answers is given up after
// PushTimeout.
func TestWakeDoesNotBlockAndShutdownDrains(t *testing.T) {
	arrived := make(chan struct{}, 4)
	release := make(chan struct{})
	finished := make(chan struct{}, 4)
	push := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		arrived <- struct{}{}
		<-release
		finished <- struct{}{}
	}))
	defer push.Close()
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	srv := loopapitest.Start(t, loopapi.Options{PushTimeout: 30 * time.Second})
	ctx := testserver.Ctx(t)
	bob, _ := session(t, srv.URL, map[string]string{loopapi.TopicCalls: push.URL + "/ep"})
	link, err := bob.CreateCallURL(ctx, loopapi.CallURLRequest{CallerID: "a"})
	if err != nil {
		t.Fatal(err)
	}
	caller, _ := loopapi.NewClient(srv.URL, loopapi.ClientOptions{})
	if _, err := caller.Call(ctx, link.CallToken, loopapi.CallRequest{CallType: "audio"}); err != nil {
		t.Fatal(err)
	}
	<-arrived // the call was answered while the PUT is held
	done := make(chan error, 1)
	go func() {
		sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		done <- srv.Server.Shutdown(sctx)
	}()
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned (%v) with a PUT in flight", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	select {
	case <-finished:
	default:
		t.Fatal("Shutdown returned before the PUT finished")
	}
}

func TestWakeTimeout(t *testing.T) {
	hang := make(chan struct{})
	got := make(chan struct{}, 1)
	push := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body) // so the server notices the client leaving
		got <- struct{}{}
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	defer push.Close()
	defer close(hang) // before push.Close waits for the handler
	srv := loopapitest.Start(t, loopapi.Options{PushTimeout: 100 * time.Millisecond})
	ctx := testserver.Ctx(t)
	bob, _ := session(t, srv.URL, map[string]string{loopapi.TopicCalls: push.URL + "/ep"})
	link, _ := bob.CreateCallURL(ctx, loopapi.CallURLRequest{CallerID: "a"})
	caller, _ := loopapi.NewClient(srv.URL, loopapi.ClientOptions{})
	if _, err := caller.Call(ctx, link.CallToken, loopapi.CallRequest{CallType: "audio"}); err != nil {
		t.Fatal(err)
	}
	<-got
	// The PUT is abandoned after PushTimeout: Shutdown does not wait for
	// the push server.
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Server.Shutdown(sctx); err != nil {
		t.Fatalf("Shutdown with a hanging push server: %v", err)
	}
}

// TestWSHostile: an oversized message closes the socket with 1009 and the
// server keeps serving others.
func TestWSHostile(t *testing.T) {
	caller, _, srv := pending(t, fast())
	ctx := testserver.Ctx(t)
	c, err := wsconn.Dial(ctx, caller.ProgressURL, wsconn.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	big := make([]byte, loopapi.DefaultMaxMessageSize+1)
	for i := range big {
		big[i] = 'a'
	}
	_ = c.WriteText(ctx, big)
	if _, _, err := c.ReadMessage(ctx, nil); wsconn.CloseStatus(err) != int(wsconn.StatusMessageTooBig) {
		t.Fatalf("oversized message: %v", err)
	}
	if _, err := loopapi.DialCall(ctx, caller.ProgressURL, caller.CallID, caller.WebsocketToken); err != nil {
		t.Fatalf("server after a hostile client: %v", err)
	}
	_ = srv
}
