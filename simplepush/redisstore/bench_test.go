package redisstore_test

import (
	"context"
	"github.com/appwire/appwire/simplepush"
	"github.com/appwire/appwire/simplepush/redisstore"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/appwire/appwire/internal/redistest"
	"github.com/appwire/appwire/internal/wsconn"
)

// benchRedisStore returns a Store on a fresh redis-server with one
// connected user agent and its registered channels.
func benchRedisStore(b *testing.B, channels ...string) (*redisstore.Store, string) {
	rdb := redistest.Start(b, redistest.Options{}).Client(b)
	s, err := redisstore.NewStore(rdb, redisstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	ctx, uaid := context.Background(), simplepush.NewUAID()
	if _, err := s.Connect(ctx, uaid, simplepush.Route{Node: "a", ConnectedAt: 1}); err != nil {
		b.Fatal(err)
	}
	for _, ch := range channels {
		if err := s.Register(ctx, uaid, ch); err != nil {
			b.Fatal(err)
		}
	}
	return s, uaid
}

func BenchmarkRedisStoreUpdate(b *testing.B) {
	s, uaid := benchRedisStore(b, "c")
	ctx := context.Background()
	var v uint64
	b.ReportAllocs()
	for b.Loop() {
		v++
		if ok, err := s.Update(ctx, uaid, "c", v); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

func BenchmarkRedisStoreAck(b *testing.B) {
	s, uaid := benchRedisStore(b, "c")
	ctx := context.Background()
	if _, err := s.Update(ctx, uaid, "c", 1<<40); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Ack(ctx, uaid, "c", 1<<40); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRedisStorePending: a user agent with 20 channels, 10 pending.
func BenchmarkRedisStorePending(b *testing.B) {
	chans := make([]string, 20)
	for i := range chans {
		chans[i] = simplepush.NewChannelID()
	}
	s, uaid := benchRedisStore(b, chans...)
	ctx := context.Background()
	for _, ch := range chans[:10] {
		if _, err := s.Update(ctx, uaid, ch, 7); err != nil {
			b.Fatal(err)
		}
	}
	var dst []simplepush.Update
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if dst, err = s.Pending(ctx, uaid, dst[:0]); err != nil || len(dst) != 10 {
			b.Fatal(len(dst), err)
		}
	}
}

// benchRedisNode serves a Server that is node name on rdb until b ends.
func benchRedisNode(b *testing.B, rdb redis.UniversalClient, name string, key []byte) string {
	store, _ := redisstore.NewStore(rdb, redisstore.Options{})
	bus, _ := redisstore.NewBus(rdb, redisstore.BusOptions{})
	s, err := simplepush.NewServer(simplepush.Options{Store: store, Bus: bus, Node: name, TokenKey: key, RetransmitInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	b.Cleanup(func() { cancel(); <-done; _ = bus.Close() })
	return ln.Addr().String()
}

// BenchmarkRedisPutAcrossNodes: PUT on node A -> Bus -> node B writes
// the notification to the socket -> 200 on A; then the ack, on B. Two
// Servers in this process, each with its own Redis client, stand for two
// processes.
func BenchmarkRedisPutAcrossNodes(b *testing.B) {
	srv := redistest.Start(b, redistest.Options{})
	key := simplepush.NewTokenKey()
	a := benchRedisNode(b, srv.Client(b), "a", key)
	nodeB := benchRedisNode(b, srv.Client(b), "b", key)
	benchDeliveries(b, a, nodeB)
}

// BenchmarkRoundTripStores: PUT -> notification -> ack on one node, with
// the memory store and with the Redis store (AckPending: one round trip
// per ack), next to a net/http PUT handler that does nothing, in the same
// run: the ratios to NoopPUT are what to compare.
func BenchmarkRoundTripStores(b *testing.B) {
	b.Run("NoopPUT", func(b *testing.B) {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			_, _ = io.WriteString(w, "{}")
		})}
		go hs.Serve(ln)
		defer hs.Close()
		url := "http://" + ln.Addr().String() + "/update/x"
		b.ReportAllocs()
		for b.Loop() {
			benchPut(b, url, "version=1")
		}
	})
	b.Run("Memory", func(b *testing.B) {
		s, err := simplepush.NewServer(simplepush.Options{RetransmitInterval: -1})
		if err != nil {
			b.Fatal(err)
		}
		addr := benchServe(b, s)
		benchDeliveries(b, addr, addr)
	})
	b.Run("Redis", func(b *testing.B) {
		srv := redistest.Start(b, redistest.Options{})
		addr := benchRedisNode(b, srv.Client(b), "a", simplepush.NewTokenKey())
		benchDeliveries(b, addr, addr)
	})
	// The same with AckPending hidden: Ack, then Pending, two round
	// trips per ack (what the server did before AckPending).
	b.Run("RedisAckThenPending", func(b *testing.B) {
		rdb := redistest.Start(b, redistest.Options{}).Client(b)
		store, _ := redisstore.NewStore(rdb, redisstore.Options{})
		s, err := simplepush.NewServer(simplepush.Options{Store: struct{ simplepush.Store }{store}, RetransmitInterval: -1})
		if err != nil {
			b.Fatal(err)
		}
		addr := benchServe(b, s)
		benchDeliveries(b, addr, addr)
	})
}

// benchServe serves s on a loopback port until b ends.
func benchServe(b *testing.B, s *simplepush.Server) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	b.Cleanup(func() { cancel(); <-done })
	return ln.Addr().String()
}

// benchDeliveries connects a user agent to node socket, registers a
// channel, and measures PUT (entering at node enter) -> notification ->
// ack, one at a time.
func benchDeliveries(b *testing.B, enter, socket string) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, err := wsconn.Dial(ctx, "ws://"+socket+"/", wsconn.DialOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer c.CloseNow()
	_ = c.WriteText(ctx, []byte(`{"messageType":"hello","uaid":"","channelIDs":[]}`))
	_, _, _ = c.ReadMessage(ctx, nil)
	chid := simplepush.NewChannelID()
	_ = c.WriteText(ctx, []byte(`{"messageType":"register","channelID":"`+chid+`"}`))
	_, reg, _ := c.ReadMessage(ctx, nil)
	m, err := simplepush.ParseServerMessage(reg)
	if err != nil {
		b.Fatal(err)
	}
	ep, _ := url.Parse(m.PushEndpoint)
	ep.Host = enter
	endpoint := ep.String()
	buf := make([]byte, 0, 512)
	var v uint64
	b.ReportAllocs()
	for b.Loop() {
		v++
		benchPut(b, endpoint, "version="+uitoa(v)) // fails unless 200
		for {
			_, msg, err := c.ReadMessage(ctx, buf[:0])
			if err != nil || !strings.Contains(string(msg), `"notification"`) {
				b.Fatalf("%s %v", msg, err)
			}
			if strings.Contains(string(msg), `"version":`+uitoa(v)) {
				break
			}
		}
		ack := simplepush.ClientMessage{Type: simplepush.TypeAck, Updates: []simplepush.Update{{ChannelID: chid, Version: v}}}
		if err := c.WriteText(ctx, ack.Append(buf[:0])); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
}
