package hawk

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strconv"
	"testing"
	"time"
)

// benchRequest is a typical Loop request signed with session credentials.
func benchRequest(b *testing.B) (*Server, Request, []byte) {
	b.Helper()
	now := time.Unix(1400000000, 0)
	s := NewServer(func(context.Context, string) (Credentials, error) { return xcreds, nil },
		Options{NoReplayCheck: true, Now: func() time.Time { return now }})
	u, _ := url.Parse("http://loop.example:5000/calls?version=1400000000")
	h, a, err := NewRequestHeader(xcreds, "GET", u, RequestOptions{Time: now, Nonce: "Ab3_x9"})
	if err != nil {
		b.Fatal(err)
	}
	return s, Request{Method: "GET", Resource: a.Resource, Host: a.Host, Port: a.Port, Authorization: h},
		[]byte(NormalizedString(a))
}

// rawHMAC is the floor: HMAC-SHA256 of the normalized bytes, base64, and a
// constant-time comparison, as any Hawk verifier must do.
func rawHMAC(key, normalized []byte, want string) bool {
	m := hmac.New(sha256.New, key)
	m.Write(normalized)
	var sum [32]byte
	var enc [44]byte
	base64.StdEncoding.Encode(enc[:], m.Sum(sum[:0]))
	return hmac.Equal(enc[:], []byte(want))
}

// BenchmarkVerify compares, in one run, Server.AuthenticateRequest (parse,
// lookup, normalize, MAC, compare, skew) with the raw HMAC-SHA256 of the
// same normalized bytes; x-raw-hmac is their ratio (target <= 3).
func BenchmarkVerify(b *testing.B) {
	s, req, normalized := benchRequest(b)
	hd, _ := ParseHeader(req.Authorization)
	ctx := context.Background()
	var raw, full time.Duration
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		t0 := time.Now()
		if !rawHMAC(xcreds.Key, normalized, hd.MAC) {
			b.Fatal("raw HMAC differs")
		}
		t1 := time.Now()
		if _, err := s.AuthenticateRequest(ctx, req); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		raw += t1.Sub(t0)
		full += t2.Sub(t1)
	}
	b.ReportMetric(float64(full)/float64(raw), "x-raw-hmac")
	b.ReportMetric(float64(full.Nanoseconds())/float64(b.N), "verify-ns")
	b.ReportMetric(float64(raw.Nanoseconds())/float64(b.N), "hmac-ns")
}

// BenchmarkRawHMAC is the baseline alone (for its allocations).
func BenchmarkRawHMAC(b *testing.B) {
	_, req, normalized := benchRequest(b)
	hd, _ := ParseHeader(req.Authorization)
	b.ReportAllocs()
	for b.Loop() {
		rawHMAC(xcreds.Key, normalized, hd.MAC)
	}
}

// BenchmarkAuthenticate is verification alone, without and with the
// replay check (a fresh nonce per request, bounded memory cache).
func BenchmarkAuthenticate(b *testing.B) {
	s, req, _ := benchRequest(b)
	ctx := context.Background()
	b.Run("no-replay-check", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.AuthenticateRequest(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("memory-nonce-cache", func(b *testing.B) {
		now := time.Unix(1400000000, 0)
		s := NewServer(func(context.Context, string) (Credentials, error) { return xcreds, nil },
			Options{Now: func() time.Time { return now }})
		u, _ := url.Parse("http://loop.example:5000/calls?version=1400000000")
		reqs := make([]Request, 4096)
		for i := range reqs {
			h, a, _ := NewRequestHeader(xcreds, "GET", u, RequestOptions{Time: now, Nonce: "n" + strconv.Itoa(i)})
			reqs[i] = Request{Method: "GET", Resource: a.Resource, Host: a.Host, Port: a.Port, Authorization: h}
		}
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if i%len(reqs) == 0 && i > 0 {
				// Every nonce was used: start a fresh cache (amortized
				// over 4096 requests).
				b.StopTimer()
				s = NewServer(func(context.Context, string) (Credentials, error) { return xcreds, nil },
					Options{Now: func() time.Time { return now }})
				b.StartTimer()
			}
			if _, err := s.AuthenticateRequest(ctx, reqs[i%len(reqs)]); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkParseHeader(b *testing.B) {
	_, req, _ := benchRequest(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseHeader(req.Authorization); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSign is the client side: a request header with a random nonce.
func BenchmarkSign(b *testing.B) {
	u, _ := url.Parse("http://loop.example:5000/calls?version=1400000000")
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := NewRequestHeader(xcreds, "GET", u, RequestOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkResponseHeader signs a 200-byte JSON response.
func BenchmarkResponseHeader(b *testing.B) {
	s, req, _ := benchRequest(b)
	auth, _ := s.AuthenticateRequest(context.Background(), req)
	body := []byte(`{"calls":[{"callId":"0123456789abcdef0123456789abcdef","callType":"audio-video","callerId":"alice@example.com","websocketToken":"fedcba9876543210fedcba9876543210"}]}`)
	b.ReportAllocs()
	for b.Loop() {
		auth.ResponseHeader(ResponseOptions{HashPayload: true, ContentType: "application/json; charset=utf-8", Payload: body})
	}
}
