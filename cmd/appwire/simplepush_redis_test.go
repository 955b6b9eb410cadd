package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/appwire/appwire/internal/redistest"
	"github.com/appwire/appwire/internal/wsconn"
	"github.com/appwire/appwire/simplepush"
)

// serveSimplePushNode runs "appwire serve --only simplepush --redis URL"
// in-process and returns the WebSocket URL it printed.
func serveSimplePushNode(t *testing.T, redisURL string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"serve", "--only", "simplepush", "--listen", "127.0.0.1:0", "--redis", redisURL},
			strings.NewReader(""), pw, io.Discard)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-code:
		case <-time.After(15 * time.Second):
			t.Error("serve did not stop")
		}
	})
	sc := bufio.NewScanner(pr)
	var ws string
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == "simplepush" {
			ws = f[1]
		}
		if strings.HasPrefix(sc.Text(), "ready:") {
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if ws == "" {
		t.Fatal("serve printed no simplepush URL")
	}
	return ws
}

// TestServeSimplePushRedis: two "serve --redis" processes' worth of
// servers share state: an endpoint handed out by one is accepted by the
// other (shared token key) and the update is delivered through Redis.
func TestServeSimplePushRedis(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	wsA, wsB := serveSimplePushNode(t, srv.URL()), serveSimplePushNode(t, srv.URL())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := wsconn.Dial(ctx, wsB, wsconn.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	read := func() *simplepush.ServerMessage {
		t.Helper()
		_, b, err := c.ReadMessage(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		m, err := simplepush.ParseServerMessage(b)
		if err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		return m
	}
	_ = c.WriteText(ctx, []byte(`{"messageType":"hello","uaid":"","channelIDs":[]}`))
	if m := read(); m.Status != 200 {
		t.Fatalf("hello: %+v", m)
	}
	chid := simplepush.NewChannelID()
	_ = c.WriteText(ctx, []byte(`{"messageType":"register","channelID":"`+chid+`"}`))
	reg := read()
	ep, err := url.Parse(reg.PushEndpoint)
	if err != nil || reg.Status != 200 {
		t.Fatalf("register: %+v %v", reg, err)
	}
	a, _ := url.Parse(wsA)
	ep.Host = a.Host // PUT on the other node
	req, _ := http.NewRequestWithContext(ctx, http.MethodPut, ep.String(), strings.NewReader("version=9"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT on the other node: %d, want 200", resp.StatusCode)
	}
	if m := read(); m.Type != simplepush.TypeNotification || len(m.Updates) != 1 || m.Updates[0].Version != 9 {
		t.Fatalf("notification: %+v", m)
	}
}
