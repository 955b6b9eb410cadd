package h1

import (
	"bufio"
	"bytes"
	"net/http"
	"testing"
)

// benchMsg is a typical API call: a handful of headers and a small JSON
// body, as RawHTTP would send it.
const benchMsg = "POST /ims/oneroster/v1p1/users?limit=10 HTTP/1.1\r\nHost: lms.example\r\n" +
	"Accept: application/json\r\nAuthorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig\r\n" +
	"Content-Type: application/json\r\nUser-Agent: appwire/1\r\nX-Request-Id: 5f1c2a\r\nContent-Length: 60\r\n\r\n" +
	`{"sourcedId":"u1","givenName":"Ada","familyName":"Lovelace"}`

const benchChunked = "POST /x HTTP/1.1\r\nHost: lms.example\r\nTransfer-Encoding: chunked\r\n\r\n" +
	"10\r\n0123456789abcdef\r\n10\r\n0123456789abcdef\r\n0\r\nX-Checksum: 1\r\n\r\n"

func BenchmarkDecodeRequest(b *testing.B) {
	msg := []byte(benchMsg)
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if _, err := DecodeRequest(msg, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeHTTPRequest(b *testing.B) {
	msg := []byte(benchMsg)
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if _, err := DecodeHTTPRequest(msg, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNetHTTPReadRequest is the baseline: net/http on the same bytes.
func BenchmarkNetHTTPReadRequest(b *testing.B) {
	msg := []byte(benchMsg)
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	var br bytes.Reader
	for b.Loop() {
		br.Reset(msg)
		if _, err := http.ReadRequest(bufio.NewReader(&br)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeRequestChunked(b *testing.B) {
	msg := []byte(benchChunked)
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if _, err := DecodeRequest(msg, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendRequest(b *testing.B) {
	r, err := DecodeRequest([]byte(benchMsg), Limits{})
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		if buf, err = AppendRequest(buf[:0], r); err != nil {
			b.Fatal(err)
		}
	}
}
