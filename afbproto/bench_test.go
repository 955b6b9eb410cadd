package afbproto_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/appwire/appwire/afbproto"
	"github.com/appwire/appwire/internal/wsconn"
)

func BenchmarkFrameParse(b *testing.B) {
	in := []byte(goldenFrames[1])
	var f afbproto.Frame
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if err := f.Parse(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFrameAppend(b *testing.B) {
	var f afbproto.Frame
	f.Parse([]byte(goldenFrames[1]))
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf = f.Append(buf[:0])
	}
}

func BenchmarkReplyParse(b *testing.B) {
	in := []byte(goldenReplies[0])
	var r afbproto.Reply
	b.ReportAllocs()
	for b.Loop() {
		if err := afbproto.ParseReply(in, &r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReplyAppend(b *testing.B) {
	r := afbproto.Reply{Response: []byte(`"Some String"`), Status: "success", Info: "Ping Binder Daemon", UUID: "047c82bd-3d87-41db-92d3-b02fee715259"}
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf = afbproto.AppendReply(buf[:0], &r, afbproto.DialectV6)
	}
}

var noopAPI = afbproto.API{Name: "bench", Verbs: []afbproto.Verb{
	{Name: "noop", Handler: func(r *afbproto.Request) { r.Reply(nil, "") }},
}}

// BenchmarkWSCall measures sequential call round trips over one
// WebSocket connection on loopback.
func BenchmarkWSCall(b *testing.B) {
	_, srv := startServer(b, afbproto.Options{Token: afbproto.AnyToken()}, noopAPI)
	c := srvDial(b, srv, "/api", wsconn.DialOptions{})
	ctx := context.Background()
	call := afbproto.AppendCall(nil, "1", "bench", "noop", nil, "")
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		if err := c.WriteText(ctx, call); err != nil {
			b.Fatal(err)
		}
		var err error
		if _, buf, err = c.ReadMessage(ctx, buf[:0]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
}

// BenchmarkHTTPCall compares a call of the binder over HTTP/1.1 keep-alive
// with a net/http no-op handler in the same run: the ratio of their ns/op
// is the binder's overhead.
func BenchmarkHTTPCall(b *testing.B) {
	run := func(b *testing.B, url string) {
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
		defer client.CloseIdleConnections()
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("x-afb-uuid", "bench-session")
		b.ReportAllocs()
		for b.Loop() {
			res, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
	}
	b.Run("net-http-noop", func(b *testing.B) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"jtype":"afb-reply","request":{"status":"success"}}`))
		}))
		defer srv.Close()
		run(b, srv.URL+"/api/bench/noop")
	})
	b.Run("binder", func(b *testing.B) {
		_, srv := startServer(b, afbproto.Options{Token: afbproto.AnyToken()}, noopAPI)
		run(b, srv.URL+"/api/bench/noop")
	})
}
