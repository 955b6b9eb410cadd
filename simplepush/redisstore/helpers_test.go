package redisstore_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/appwire/appwire/internal/wsconn"
	"github.com/appwire/appwire/simplepush"
)

// A user agent over a raw WebSocket (not simplepush.Client, so a client
// bug cannot hide a server bug), for the multi-node tests.

type client struct {
	t *testing.T
	c *wsconn.Conn
}

func ctx5(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func (c *client) send(msg string) {
	c.t.Helper()
	if err := c.c.WriteText(ctx5(c.t), []byte(msg)); err != nil {
		c.t.Fatalf("send %s: %v", msg, err)
	}
}

func (c *client) recv() *simplepush.ServerMessage {
	c.t.Helper()
	_, b, err := c.c.ReadMessage(ctx5(c.t), nil)
	if err != nil {
		c.t.Fatalf("recv: %v", err)
	}
	m, err := simplepush.ParseServerMessage(b)
	if err != nil {
		c.t.Fatalf("recv %s: %v", b, err)
	}
	return m
}

// closed expects the server to close the socket and returns the close
// code (0 when the TCP connection just ended).
func (c *client) closed() wsconn.StatusCode {
	c.t.Helper()
	_, b, err := c.c.ReadMessage(ctx5(c.t), nil)
	if err == nil {
		c.t.Fatalf("expected close, got %s", b)
	}
	var ce *wsconn.CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "reset") {
		return 0
	}
	c.t.Fatalf("expected close, got %v", err)
	return 0
}

func (c *client) hello(uaid string, chids ...string) string {
	c.t.Helper()
	m := simplepush.ClientMessage{Type: simplepush.TypeHello, UAID: uaid, HasUAID: true, ChannelIDs: chids, HasChannelIDs: true}
	c.send(string(m.Append(nil)))
	r := c.recv()
	if r.Type != simplepush.TypeHello || r.Status != 200 || len(r.UAID) != 32 {
		c.t.Fatalf("hello: %+v", r)
	}
	return r.UAID
}

func (c *client) register(chid string) string {
	c.t.Helper()
	c.send(`{"messageType":"register","channelID":"` + chid + `"}`)
	r := c.recv()
	if r.Type != simplepush.TypeRegister || r.Status != 200 || r.ChannelID != chid || r.PushEndpoint == "" {
		c.t.Fatalf("register: %+v", r)
	}
	return r.PushEndpoint
}

func (c *client) ack(chid string, v uint64) {
	c.t.Helper()
	m := simplepush.ClientMessage{Type: simplepush.TypeAck, Updates: []simplepush.Update{{ChannelID: chid, Version: v}}, HasUpdates: true}
	c.send(string(m.Append(nil)))
}

func (c *client) notification() []simplepush.Update {
	c.t.Helper()
	r := c.recv()
	if r.Type != simplepush.TypeNotification {
		c.t.Fatalf("expected a notification, got %+v", r)
	}
	return r.Updates
}

const form = "application/x-www-form-urlencoded"

// put sends body to endpoint and returns the status.
func put(t testing.TB, method, endpoint, contentType, body string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx5(t), method, endpoint, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func uitoa(v uint64) string { return strconv.FormatUint(v, 10) }

// benchPut PUTs body to url and fails b unless the answer is 200.
func benchPut(b *testing.B, url, body string) {
	if st := put(b, http.MethodPut, url, form, body); st != http.StatusOK {
		b.Fatalf("PUT %d", st)
	}
}
