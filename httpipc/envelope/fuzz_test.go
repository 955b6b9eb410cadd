package envelope

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/appwire/appwire/httpipc/bhttp"
)

// fuzzLimits are small enough for the fuzzer to reach every limit.
var fuzzLimits = Limits{MaxFieldSectionSize: 256, MaxFields: 8, MaxFieldLength: 64, MaxBodySize: 512, MaxInformational: 2}

func seedRequests(f *testing.F) {
	r := &bhttp.Request{Method: "POST", Scheme: "https", Authority: "example.com", Path: "/a?b=c",
		Header:  bhttp.Fields{{Name: "x-a", Value: "1"}, {Name: "accept", Value: "*/*"}, {Name: "x-a", Value: "\xff2"}},
		Body:    []byte("body\x00\xff"),
		Trailer: bhttp.Fields{{Name: "t", Value: "v"}}}
	b, err := AppendRequest(nil, r)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add(req())
	f.Add(mp(1, "GET", "https", "a", "/", noFields, empty, noFields, map[string]any{"ext": []any{1}}))
}

func seedResponses(f *testing.F) {
	r := &bhttp.Response{Informational: []bhttp.InfoResponse{{Status: 103, Header: bhttp.Fields{{Name: "link", Value: "</s>"}}}},
		Status: 200, Header: bhttp.Fields{{Name: "content-type", Value: "text/plain"}}, Body: []byte("hi")}
	b, err := AppendResponse(nil, r)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add(resp(204, noFields))
}

// checkErr: every rejection is an *Error.
func checkErr(t *testing.T, err error) {
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
}

// FuzzDecodeRequest: whatever decodes re-encodes, decodes again to the same
// value and re-encodes to the same bytes (dnsmessage's unpack → pack →
// unpack); whatever is rejected is rejected with an *Error.
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
			t.Fatalf("decoded request does not encode: %v", err)
		}
		r2, err := DecodeRequest(b, fuzzLimits)
		if err != nil {
			t.Fatalf("re-encoded request does not decode: %v", err)
		}
		if !reflect.DeepEqual(r, r2) {
			t.Fatalf("%+v\n!= %+v", r, r2)
		}
		if b2, _ := AppendRequest(nil, r2); !bytes.Equal(b, b2) {
			t.Fatal("encoding is not stable")
		}
		// net/http adds two rules: content-length must match the body, and
		// the path must parse as a request URI (a non-http scheme allows
		// any path in bhttp).
		if _, err := DecodeHTTPRequest(data, fuzzLimits); err != nil &&
			!errors.Is(err, bhttp.ErrFieldValue) && !errors.Is(err, bhttp.ErrPath) {
			t.Fatalf("DecodeHTTPRequest rejects what DecodeRequest accepts: %v", err)
		}
	})
}

// FuzzDecodeResponse is FuzzDecodeRequest for responses.
func FuzzDecodeResponse(f *testing.F) {
	seedResponses(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := DecodeResponse(data, fuzzLimits)
		if err != nil {
			checkErr(t, err)
			return
		}
		b, err := AppendResponse(nil, r)
		if err != nil {
			t.Fatalf("decoded response does not encode: %v", err)
		}
		r2, err := DecodeResponse(b, fuzzLimits)
		if err != nil {
			t.Fatalf("re-encoded response does not decode: %v", err)
		}
		if !reflect.DeepEqual(r, r2) {
			t.Fatalf("%+v\n!= %+v", r, r2)
		}
		if b2, _ := AppendResponse(nil, r2); !bytes.Equal(b, b2) {
			t.Fatal("encoding is not stable")
		}
		if _, err := DecodeHTTPResponse(data, fuzzLimits); err != nil {
			t.Fatalf("DecodeHTTPResponse rejects what DecodeResponse accepts: %v", err)
		}
	})
}
