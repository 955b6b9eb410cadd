package limpwire_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/appwire/appwire/internal/testserver"
	"github.com/appwire/appwire/internal/wsconn"
	"github.com/appwire/appwire/limpwire"
	"github.com/appwire/appwire/limpwire/limpwiretest"
)

func benchServer(b *testing.B) string {
	srv := limpwiretest.Start(b, limpwire.Options{QuotaIP: -1, QuotaAnon: -1, QuotaAuth: -1})
	return srv.URL
}

func benchClient(b *testing.B, url string) *limpwire.Client {
	c, err := limpwire.Dial(context.Background(), url, limpwire.ClientOptions{Heartbeat: -1})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

// BenchmarkCalls measures signed calls end to end over loopback: the
// client signs, the server verifies, dispatches and answers, the client
// matches the reply. EchoBaseline is a bare WebSocket round trip of a
// message of the same size, in the same run.
func BenchmarkCalls(b *testing.B) {
	url := benchServer(b)
	ctx := context.Background()
	query := []any{map[string]any{"n": map[string]any{"$gte": 1}}, map[string]any{"$limit": 1}}
	b.Run("EchoBaseline", func(b *testing.B) {
		u := testserver.Serve(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := wsconn.Upgrade(w, r, wsconn.UpgradeOptions{})
			if err != nil {
				return
			}
			defer c.CloseNow()
			var buf []byte
			for {
				_, m, err := c.ReadMessage(ctx, buf[:0])
				if err != nil || c.WriteText(ctx, m) != nil {
					return
				}
				buf = m
			}
		}), nil)
		c, err := wsconn.Dial(ctx, "ws"+strings.TrimPrefix(u, "http"), wsconn.DialOptions{})
		if err != nil {
			b.Fatal(err)
		}
		defer c.CloseNow()
		msg := []byte(strings.Repeat("x", 420)) // a signed heart/beat frame's size
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			if err := c.WriteText(ctx, msg); err != nil {
				b.Fatal(err)
			}
			if _, buf, err = c.ReadMessage(ctx, buf[:0]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("HeartbeatOneSocketSequential", func(b *testing.B) {
		c := benchClient(b, url)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Call(ctx, "heart/beat", nil, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("HeartbeatOneSocketParallel", func(b *testing.B) {
		c := benchClient(b, url)
		b.ReportAllocs()
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.Call(ctx, "heart/beat", nil, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("HeartbeatManySockets", func(b *testing.B) {
		b.ReportAllocs()
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			c, err := limpwire.Dial(ctx, url, limpwire.ClientOptions{Heartbeat: -1})
			if err != nil {
				b.Error(err)
				return
			}
			defer c.Close()
			for pb.Next() {
				if _, err := c.Call(ctx, "heart/beat", nil, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("ReadOneSocketParallel", func(b *testing.B) {
		c := benchClient(b, url)
		for i := range 10 {
			if _, err := c.Call(ctx, "item/create", nil, map[string]any{"n": i}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportAllocs()
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.Call(ctx, "item/read", query, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}
