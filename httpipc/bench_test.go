package httpipc

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// The round-trip benchmarks run the same echo handler behind httpipc over
// a unix socket, net/http HTTP/1.1 over loopback TCP, and net/http over a
// unix socket. BenchmarkRoundTrip reports each, and on the httpipc line
// the time of net/http over loopback TCP (and over the unix socket) divided
// by httpipc's, as x_vs_tcp and x_vs_unix: above 1, httpipc is faster.

var benchOpts = Options{}

// streamChunk is what the /stream handler writes at a time.
var streamChunk = bytes.Repeat([]byte("s"), 32<<10)

func benchHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/stream" {
			// GET /stream?mib=N streams N MiB.
			n, _ := strconv.Atoi(r.URL.Query().Get("mib"))
			for i := 0; i < n*(1<<20)/len(streamChunk); i++ {
				if _, err := w.Write(streamChunk); err != nil {
					return
				}
			}
			return
		}
		io.Copy(w, r.Body)
	})
}

type benchTarget struct {
	client *http.Client
	url    string
	close  func()
}

func httpipcTarget(b *testing.B) benchTarget {
	path := filepath.Join(shortTempDir(b), "s")
	l, err := net.Listen("unix", path)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv := &Server{Handler: benchHandler(), Options: benchOpts}
	done := make(chan struct{})
	go func() { srv.Serve(ctx, l); close(done) }()
	tr := UnixTransport(path)
	tr.Options = benchOpts
	return benchTarget{&http.Client{Transport: tr}, "http://ipc.localhost/", func() {
		tr.Close()
		cancel()
		srv.Close()
		<-done
	}}
}

func netHTTPTarget(b *testing.B, network string) benchTarget {
	addr := "127.0.0.1:0"
	if network == "unix" {
		addr = filepath.Join(shortTempDir(b), "s")
	}
	l, err := net.Listen(network, addr)
	if err != nil {
		b.Fatal(err)
	}
	hs := &http.Server{Handler: benchHandler()}
	go hs.Serve(l)
	tr := &http.Transport{MaxIdleConnsPerHost: 100, DisableCompression: true}
	url := "http://" + l.Addr().String() + "/"
	if network == "unix" {
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", addr)
		}
		url = "http://unix.localhost/"
	}
	return benchTarget{&http.Client{Transport: tr}, url, func() {
		tr.CloseIdleConnections()
		hs.Close()
	}}
}

func roundTrip(b *testing.B, t benchTarget, body []byte) {
	resp, err := t.client.Post(t.url, "application/octet-stream", bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || n != int64(len(body)) {
		b.Fatalf("echo: %d bytes, %v", n, err)
	}
}

func BenchmarkRoundTrip(b *testing.B) {
	for _, size := range []struct {
		name string
		n    int
	}{{"small", 64}, {"1MiB", 1 << 20}} {
		body := bytes.Repeat([]byte("x"), size.n)
		b.Run(size.name, func(b *testing.B) {
			// Run the three in one benchmark so the ratio comes from the
			// same run on the same machine.
			targets := []struct {
				name string
				mk   func(*testing.B) benchTarget
			}{
				{"nethttp-tcp", func(b *testing.B) benchTarget { return netHTTPTarget(b, "tcp") }},
				{"nethttp-unix", func(b *testing.B) benchTarget { return netHTTPTarget(b, "unix") }},
				{"httpipc-unix", httpipcTarget},
			}
			// The baselines run first; the httpipc sub-benchmark reports
			// their time per op divided by its own.
			var base [2]float64
			for i, tg := range targets {
				t := tg.mk(b)
				roundTrip(b, t, body) // warm up: dial
				b.Run(tg.name, func(b *testing.B) {
					b.ReportAllocs()
					b.SetBytes(int64(2 * len(body)))
					start := time.Now()
					for b.Loop() {
						roundTrip(b, t, body)
					}
					ns := float64(time.Since(start)) / float64(b.N)
					if i < 2 {
						base[i] = ns
					} else {
						b.ReportMetric(base[0]/ns, "x_vs_tcp")
						b.ReportMetric(base[1]/ns, "x_vs_unix")
					}
				})
				t.close()
			}
		})
	}
}

// BenchmarkInterleaved runs the echo round trips (64 B, 1 MiB) and a
// 64 MiB streamed download (written 32 KiB at a time, no content-length)
// over net/http on loopback TCP, net/http on a unix socket and httpipc,
// alternating the three in every iteration and timing each, so that a
// change in the shared machine's load hits all three alike. x_vs_unix and
// x_vs_tcp are net/http's time over httpipc's (above 1: httpipc faster).
func BenchmarkInterleaved(b *testing.B) {
	small, big := bytes.Repeat([]byte("x"), 64), bytes.Repeat([]byte("x"), 1<<20)
	stream := func(b *testing.B, t benchTarget) {
		const mib = 64
		resp, err := t.client.Get(t.url + "stream?mib=" + strconv.Itoa(mib))
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || n != mib<<20 {
			b.Fatalf("stream: %d bytes, %v", n, err)
		}
	}
	for _, load := range []struct {
		name string
		op   func(*testing.B, benchTarget)
	}{
		{"small", func(b *testing.B, t benchTarget) { roundTrip(b, t, small) }},
		{"1MiB", func(b *testing.B, t benchTarget) { roundTrip(b, t, big) }},
		{"stream64MiB", stream},
	} {
		b.Run(load.name, func(b *testing.B) {
			targets := []benchTarget{netHTTPTarget(b, "tcp"), netHTTPTarget(b, "unix"), httpipcTarget(b)}
			defer func() {
				for _, t := range targets {
					t.close()
				}
			}()
			for _, t := range targets {
				load.op(b, t) // warm up: dial
			}
			var spent [3]time.Duration
			for b.Loop() {
				for i, t := range targets {
					start := time.Now()
					load.op(b, t)
					spent[i] += time.Since(start)
				}
			}
			b.ReportMetric(float64(spent[0])/float64(spent[2]), "x_vs_tcp")
			b.ReportMetric(float64(spent[1])/float64(spent[2]), "x_vs_unix")
			b.ReportMetric(float64(spent[2].Nanoseconds())/float64(b.N), "httpipc-ns/op")
			b.ReportMetric(float64(spent[1].Nanoseconds())/float64(b.N), "nethttp-unix-ns/op")
		})
	}
}

// BenchmarkRoundTripParallel is the small round trip with many
// concurrent requests on the one httpipc connection.
func BenchmarkRoundTripParallel(b *testing.B) {
	body := []byte("hello")
	for _, tg := range []struct {
		name string
		mk   func(*testing.B) benchTarget
	}{
		{"httpipc-unix", httpipcTarget},
		{"nethttp-tcp", func(b *testing.B) benchTarget { return netHTTPTarget(b, "tcp") }},
	} {
		b.Run(tg.name, func(b *testing.B) {
			t := tg.mk(b)
			defer t.close()
			b.ReportAllocs()
			b.SetParallelism(8)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					roundTrip(b, t, body)
				}
			})
		})
	}
}

func BenchmarkFrameParse(b *testing.B) {
	msg := AppendRawFrame(nil, FrameData, 12345, FlagEndStream, make([]byte, 1024))
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	var f Frame
	for b.Loop() {
		if err := parseFrame(&f, msg, DefaultMaxFrameSize); err != nil {
			b.Fatal(err)
		}
	}
}
