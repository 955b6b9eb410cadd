package envelope

import (
	"bufio"
	"bytes"
	"net/http"
	"testing"

	"github.com/appwire/appwire/httpipc/bhttp"
)

// benchRequest is a typical API call: a handful of headers and a small
// JSON body.
var benchRequest = &bhttp.Request{Method: "POST", Scheme: "https", Authority: "lms.example", Path: "/ims/oneroster/v1p1/users?limit=10",
	Header: bhttp.Fields{
		{Name: "accept", Value: "application/json"},
		{Name: "authorization", Value: "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig"},
		{Name: "content-type", Value: "application/json"},
		{Name: "user-agent", Value: "appwire/1"},
		{Name: "x-request-id", Value: "5f1c2a"},
	},
	Body: []byte(`{"sourcedId":"u1","givenName":"Ada","familyName":"Lovelace"}`)}

const benchH1 = "POST /ims/oneroster/v1p1/users?limit=10 HTTP/1.1\r\nHost: lms.example\r\n" +
	"Accept: application/json\r\nAuthorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig\r\n" +
	"Content-Type: application/json\r\nUser-Agent: appwire/1\r\nX-Request-Id: 5f1c2a\r\nContent-Length: 60\r\n\r\n" +
	`{"sourcedId":"u1","givenName":"Ada","familyName":"Lovelace"}`

func BenchmarkDecodeRequest(b *testing.B) {
	msg, _ := AppendRequest(nil, benchRequest)
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if _, err := DecodeRequest(msg, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeHTTPRequest(b *testing.B) {
	msg, _ := AppendRequest(nil, benchRequest)
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if _, err := DecodeHTTPRequest(msg, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNetHTTPReadRequest is the baseline: net/http parsing the same
// request as HTTP/1.1 text.
func BenchmarkNetHTTPReadRequest(b *testing.B) {
	msg := []byte(benchH1)
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

func BenchmarkAppendRequest(b *testing.B) {
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = AppendRequest(buf[:0], benchRequest); err != nil {
			b.Fatal(err)
		}
	}
}
