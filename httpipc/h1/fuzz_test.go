package h1

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/appwire/appwire/httpipc/bhttp"
)

// fuzzLimits are small enough for the fuzzer to reach every limit.
var fuzzLimits = Limits{MaxHeaderBytes: 512, MaxFields: 8, MaxFieldLength: 64, MaxBodySize: 512, MaxInformational: 2}

func seedRequests(f *testing.F) {
	r := &bhttp.Request{Method: "POST", Scheme: "http", Authority: "localhost", Path: "/a?b=%20",
		Header:  bhttp.Fields{{Name: "x-a", Value: "1"}, {Name: "accept", Value: "*/*"}, {Name: "x-a", Value: "\xff 2"}},
		Body:    []byte("body\x00\xff"),
		Trailer: bhttp.Fields{{Name: "t", Value: "v"}}}
	b, err := AppendRequest(nil, r)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	r.Trailer = nil
	b, _ = AppendRequest(nil, r)
	f.Add(b)
	f.Add([]byte("GET http://a/x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"))
	f.Add([]byte("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n1\r\nd\r\n0\r\n\r\n"))
	f.Add([]byte("CONNECT a:1 HTTP/1.1\r\nHost: a:1\r\n\r\n"))
}

func seedResponses(f *testing.F) {
	r := &bhttp.Response{Informational: []bhttp.InfoResponse{{Status: 103, Header: bhttp.Fields{{Name: "link", Value: "</s>"}}}},
		Status: 200, Header: bhttp.Fields{{Name: "content-type", Value: "text/plain"}}, Body: []byte("hi"),
		Trailer: bhttp.Fields{{Name: "x-t", Value: "1"}}}
	b, err := AppendResponse(nil, r)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"))
	f.Add([]byte("HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n"))
	f.Add([]byte("HTTP/1.1 404 \r\n\r\nunframed"))
}

func checkErr(t *testing.T, err error) {
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
}

// FuzzDecodeRequest: whatever decodes re-encodes, decodes again to the
// same value and re-encodes to the same bytes; whatever is rejected is
// rejected with an *Error. A decoded request also maps to net/http.
func FuzzDecodeRequest(f *testing.F) {
	seedRequests(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := DecodeRequest(data, fuzzLimits)
		if err != nil {
			checkErr(t, err)
			return
		}
		b, err := AppendRequest(nil, r)
		if err != nil {
			t.Fatalf("decoded request does not encode: %v\n%q", err, data)
		}
		r2, err := DecodeRequest(b, fuzzLimits)
		if err != nil {
			t.Fatalf("re-encoded request does not decode: %v\n%q", err, b)
		}
		if !reflect.DeepEqual(r, r2) {
			t.Fatalf("%+v\n!= %+v", r, r2)
		}
		if b2, _ := AppendRequest(nil, r2); !bytes.Equal(b, b2) {
			t.Fatalf("encoding is not stable:\n%q\n%q", b, b2)
		}
		if _, err := r.ToHTTP(); err != nil && !errors.Is(err, bhttp.ErrPath) {
			t.Fatalf("no net/http form: %v", err)
		}
	})
}

// FuzzDecodeResponse is FuzzDecodeRequest for responses (to GET, and to
// HEAD when the first byte is odd).
func FuzzDecodeResponse(f *testing.F) {
	seedResponses(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		method := "GET"
		if len(data) > 0 && data[0]&1 == 1 {
			method = "HEAD"
		}
		r, err := DecodeResponse(data, method, fuzzLimits)
		if err != nil {
			checkErr(t, err)
			return
		}
		b, err := AppendResponse(nil, r)
		if err != nil {
			t.Fatalf("decoded response does not encode: %v\n%q", err, data)
		}
		r2, err := DecodeResponse(b, method, fuzzLimits)
		if err != nil {
			t.Fatalf("re-encoded response does not decode: %v\n%q", err, b)
		}
		if !reflect.DeepEqual(r, r2) {
			t.Fatalf("%+v\n!= %+v", r, r2)
		}
		if b2, _ := AppendResponse(nil, r2); !bytes.Equal(b, b2) {
			t.Fatal("encoding is not stable")
		}
	})
}
