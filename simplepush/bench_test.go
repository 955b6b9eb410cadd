package simplepush

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/appwire/appwire/internal/wsconn"
)

func BenchmarkParseClientHello(b *testing.B) {
	msg := []byte(`{"messageType":"hello","uaid":"fd52438f1c49459388c3ff47bc9b1c9c","channelIDs":["fd52438f-1c49-4593-88c3-ff47bc9b1c9c","0c5dd5b8-37b4-4e43-b6c7-1d4e2f3a1a8e"]}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseClientMessage(msg, DialectPushgo); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseClientAck(b *testing.B) {
	msg := []byte(`{"messageType":"ack","updates":[{"channelID":"fd52438f-1c49-4593-88c3-ff47bc9b1c9c","version":1700000000}]}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseClientMessage(msg, DialectPushgo); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendNotification(b *testing.B) {
	m := ServerMessage{Type: TypeNotification, Updates: []Update{{ChannelID: "fd52438f-1c49-4593-88c3-ff47bc9b1c9c", Version: 1700000000, Data: "hello"}}}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = m.Append(buf[:0])
	}
}

// BenchmarkParseServerNotification: the user-agent client's parser, next
// to the encoding/json parser it replaced (the oracle), in the same run.
func BenchmarkParseServerNotification(b *testing.B) {
	msg := []byte(`{"messageType":"notification","updates":[{"channelID":"fd52438f-1c49-4593-88c3-ff47bc9b1c9c","version":1700000000,"data":"hello"}]}`)
	for _, p := range []struct {
		name  string
		parse func([]byte) (*ServerMessage, error)
	}{{"scanner", ParseServerMessage}, {"encoding-json", parseServerMessageJSON}} {
		b.Run(p.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.parse(msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRoundTrip: PUT -> notification on the socket -> ack, over
// loopback, sequentially; the NoopPUT sub-benchmark is a net/http PUT
// handler that does nothing, measured in the same run, to compare with.
func BenchmarkRoundTrip(b *testing.B) {
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
	b.Run("PutNotifyAck", func(b *testing.B) {
		s, err := NewServer(Options{RetransmitInterval: -1})
		if err != nil {
			b.Fatal(err)
		}
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go s.Serve(ctx, ln)
		c, err := wsconn.Dial(ctx, "ws://"+ln.Addr().String()+"/", wsconn.DialOptions{})
		if err != nil {
			b.Fatal(err)
		}
		defer c.CloseNow()
		_ = c.WriteText(ctx, []byte(`{"messageType":"hello","uaid":"","channelIDs":[]}`))
		_, _, _ = c.ReadMessage(ctx, nil)
		chid := NewChannelID()
		_ = c.WriteText(ctx, []byte(`{"messageType":"register","channelID":"`+chid+`"}`))
		_, reg, _ := c.ReadMessage(ctx, nil)
		m, err := ParseServerMessage(reg)
		if err != nil {
			b.Fatal(err)
		}
		buf := make([]byte, 0, 512)
		var v uint64
		b.ReportAllocs()
		for b.Loop() {
			v++
			benchPut(b, m.PushEndpoint, "version="+uitoa(v))
			_, msg, err := c.ReadMessage(ctx, buf[:0])
			if err != nil || !strings.Contains(string(msg), `"notification"`) {
				b.Fatalf("%s %v", msg, err)
			}
			ack := ClientMessage{Type: TypeAck, Updates: []Update{{ChannelID: chid, Version: v}}}
			if err := c.WriteText(ctx, ack.Append(buf[:0])); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
	})
}

func benchPut(b *testing.B, url, body string) {
	req, _ := http.NewRequest("PUT", url, strings.NewReader(body))
	req.Header.Set("Content-Type", form)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		b.Fatalf("PUT %d", resp.StatusCode)
	}
}

func uitoa(v uint64) string { return string(appendUint(nil, v)) }
