package bhttp

import (
	"bufio"
	"bytes"
	"net/http"
	"testing"
	"time"
)

// benchFields is a typical browser request header section.
var benchFields = Fields{
	{"host", "www.example.com"},
	{"user-agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"},
	{"accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
	{"accept-language", "en-US,en;q=0.5"},
	{"accept-encoding", "gzip, deflate, br, zstd"},
	{"referer", "https://www.example.com/index.html"},
	{"cookie", "session=0123456789abcdef; theme=dark"},
	{"upgrade-insecure-requests", "1"},
	{"sec-fetch-dest", "document"},
	{"sec-fetch-mode", "navigate"},
	{"sec-fetch-site", "same-origin"},
	{"priority", "u=0, i"},
}

func benchRequest() (bin, h1 []byte) {
	r := &Request{Method: "GET", Scheme: "https", Path: "/hello.txt?lang=en", Header: benchFields}
	bin, err := AppendRequest(nil, r)
	if err != nil {
		panic(err)
	}
	var sb bytes.Buffer
	sb.WriteString("GET /hello.txt?lang=en HTTP/1.1\r\n")
	for _, f := range benchFields {
		sb.WriteString(f.Name + ": " + f.Value + "\r\n")
	}
	sb.WriteString("\r\n")
	return bin, sb.Bytes()
}

func benchDecodeBHTTP(b *testing.B) {
	bin, _ := benchRequest()
	b.ReportAllocs()
	b.SetBytes(int64(len(bin)))
	for b.Loop() {
		if _, err := DecodeRequest(bin, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

func benchReadRequest(b *testing.B) {
	_, h1 := benchRequest()
	rd := bytes.NewReader(h1)
	br := bufio.NewReader(rd)
	b.ReportAllocs()
	b.SetBytes(int64(len(h1)))
	for b.Loop() {
		rd.Reset(h1)
		br.Reset(rd)
		if _, err := http.ReadRequest(br); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeRequest decodes the same 12-field request as bhttp and,
// for comparison, as HTTP/1.1 text through http.ReadRequest.
func BenchmarkDecodeRequest(b *testing.B) {
	b.Run("bhttp", benchDecodeBHTTP)
	b.Run("http.ReadRequest", benchReadRequest)
}

// BenchmarkDecodeRequestVsReadRequest decodes the same request both ways
// in every iteration, timing each side, and reports how many times faster
// bhttp is (x-faster) along with each side's ns per decode.
func BenchmarkDecodeRequestVsReadRequest(b *testing.B) {
	bin, h1 := benchRequest()
	rd := bytes.NewReader(h1)
	br := bufio.NewReader(rd)
	var tb, th time.Duration
	for b.Loop() {
		t0 := time.Now()
		if _, err := DecodeRequest(bin, Limits{}); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		rd.Reset(h1)
		br.Reset(rd)
		if _, err := http.ReadRequest(br); err != nil {
			b.Fatal(err)
		}
		th += time.Since(t1)
		tb += t1.Sub(t0)
	}
	b.ReportMetric(float64(th)/float64(tb), "x-faster")
	b.ReportMetric(float64(tb.Nanoseconds())/float64(b.N), "bhttp-ns/op")
	b.ReportMetric(float64(th.Nanoseconds())/float64(b.N), "ReadRequest-ns/op")
}

func BenchmarkEncodeRequest(b *testing.B) {
	r := &Request{Method: "GET", Scheme: "https", Path: "/hello.txt?lang=en", Header: benchFields}
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = AppendRequest(buf[:0], r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeResponse(b *testing.B) {
	msg := mustVector(b, "fig_indeterminate_length_response")
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if _, err := DecodeResponse(msg, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStreamRequest(b *testing.B) {
	bin, _ := benchRequest()
	rd := bytes.NewReader(bin)
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(bin)
		if _, err := NewRequestReader(rd, Limits{}).Head(); err != nil {
			b.Fatal(err)
		}
	}
}

// TestDecodeAllocsConstant: allocations do not grow with the number of
// fields (this counts allocations, it does not time anything).
func TestDecodeAllocsConstant(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not stable under -race")
	}
	count := func(n int) float64 {
		r := &Request{Method: "GET", Scheme: "https", Path: "/"}
		for range n {
			r.Header = append(r.Header, Field{"x-a", "b"})
		}
		r.Trailer = Fields{{"t", "v"}}
		bin, _ := AppendRequest(nil, r)
		return testing.AllocsPerRun(50, func() { DecodeRequest(bin, Limits{}) })
	}
	if a1, a100 := count(1), count(100); a1 != a100 || a1 > 5 {
		t.Fatalf("allocs with 1 field %v, with 100 fields %v", a1, a100)
	}
}

// BenchmarkDecodeToHTTPVsReadRequest is BenchmarkDecodeRequestVsReadRequest
// with the conversion a server needs: bhttp decode plus ToHTTP, against
// http.ReadRequest, which produces the *http.Request directly. Both sides
// time every iteration; x-faster is ReadRequest's time over bhttp's.
func BenchmarkDecodeToHTTPVsReadRequest(b *testing.B) {
	bin, h1 := benchRequest()
	rd := bytes.NewReader(h1)
	br := bufio.NewReader(rd)
	var tb, th time.Duration
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		r, err := DecodeRequest(bin, Limits{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := r.ToHTTP(); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		rd.Reset(h1)
		br.Reset(rd)
		if _, err := http.ReadRequest(br); err != nil {
			b.Fatal(err)
		}
		th += time.Since(t1)
		tb += t1.Sub(t0)
	}
	b.ReportMetric(float64(th)/float64(tb), "x-faster")
	b.ReportMetric(float64(tb.Nanoseconds())/float64(b.N), "bhttp-ns/op")
	b.ReportMetric(float64(th.Nanoseconds())/float64(b.N), "ReadRequest-ns/op")
}

// BenchmarkToHTTP is the conversion alone.
func BenchmarkToHTTP(b *testing.B) {
	bin, _ := benchRequest()
	r, err := DecodeRequest(bin, Limits{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.ToHTTP(); err != nil {
			b.Fatal(err)
		}
	}
}
