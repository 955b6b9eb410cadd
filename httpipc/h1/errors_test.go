package h1

import (
	"errors"
	"strings"
	"testing"

	"github.com/appwire/appwire/httpipc/bhttp"
)

// TestDecodeErrors is the negative table: each message gives exactly its
// sentinel, wrapped in *Error.
func TestDecodeErrors(t *testing.T) {
	const get = "GET / HTTP/1.1\r\nHost: a\r\n"
	const ok = "HTTP/1.1 200 OK\r\n"
	small := Limits{MaxHeaderBytes: 64, MaxFields: 2, MaxFieldLength: 8, MaxBodySize: 4, MaxInformational: 1}
	tests := []struct {
		name   string
		method string // "" for a request; the request method for a response
		msg    string
		lim    Limits
		want   error
	}{
		{name: "empty", msg: "", want: ErrTruncated},
		{name: "no blank line", msg: get, want: ErrTruncated},
		{name: "bare LF line end", msg: "GET / HTTP/1.1\nHost: a\n\n", want: ErrBareLF},
		{name: "bare LF in header", msg: get + "X: a\nY: b\r\n\r\n", want: ErrBareLF},
		{name: "bare CR in value", msg: get + "X: a\rb\r\n\r\n", want: ErrBareCR},
		{name: "bare CR in request line", msg: "GET /\r HTTP/1.1\r\nHost: a\r\n\r\n", want: ErrBareCR},
		{name: "NUL in value", msg: get + "X: a\x00b\r\n\r\n", want: ErrNUL},
		{name: "NUL in target", msg: "GET /\x00 HTTP/1.1\r\nHost: a\r\n\r\n", want: ErrNUL},
		{name: "obs-fold", msg: get + "X: a\r\n b\r\n\r\n", want: ErrObsFold},
		{name: "obs-fold tab", msg: get + "X: a\r\n\tb\r\n\r\n", want: ErrObsFold},
		{name: "space before colon", msg: get + "X : a\r\n\r\n", want: ErrFieldName},
		{name: "no colon", msg: get + "X a\r\n\r\n", want: ErrFieldName},
		{name: "empty name", msg: get + ": a\r\n\r\n", want: ErrFieldName},
		{name: "control in value", msg: get + "X: a\x01b\r\n\r\n", want: ErrFieldValue},
		{name: "DEL in value", msg: get + "X: a\x7fb\r\n\r\n", want: ErrFieldValue},
		{name: "two spaces", msg: "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", want: ErrStartLine},
		{name: "no version", msg: "GET /\r\nHost: a\r\n\r\n", want: ErrStartLine},
		{name: "HTTP/1.0", msg: "GET / HTTP/1.0\r\nHost: a\r\n\r\n", want: ErrVersion},
		{name: "HTTP/2", msg: "GET / HTTP/2.0\r\nHost: a\r\n\r\n", want: ErrVersion},
		{name: "bad method", msg: "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", want: ErrMethod},
		{name: "fragment", msg: "GET /#x HTTP/1.1\r\nHost: a\r\n\r\n", want: ErrTarget},
		{name: "bad percent", msg: "GET /%zz HTTP/1.1\r\nHost: a\r\n\r\n", want: ErrTarget},
		{name: "relative target", msg: "GET x HTTP/1.1\r\nHost: a\r\n\r\n", want: ErrTarget},
		{name: "ftp target", msg: "GET ftp://a/ HTTP/1.1\r\nHost: a\r\n\r\n", want: ErrTarget},
		{name: "asterisk with GET", msg: "GET * HTTP/1.1\r\nHost: a\r\n\r\n", want: ErrTarget},
		{name: "CONNECT origin-form", msg: "CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n", want: ErrTarget},
		{name: "no host", msg: "GET / HTTP/1.1\r\n\r\n", want: ErrHost},
		{name: "two hosts", msg: get + "Host: b\r\n\r\n", want: ErrHost},
		{name: "host with slash", msg: "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", want: ErrHost},
		{name: "host disagrees with target", msg: "GET http://b/ HTTP/1.1\r\nHost: a\r\n\r\n", want: ErrHost},
		{name: "TE and CL", msg: get + "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n", want: ErrTEAndCL},
		{name: "CL and TE", msg: get + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc", want: ErrTEAndCL},
		{name: "TE gzip", msg: get + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", want: ErrTransferEncoding},
		{name: "TE twice", msg: get + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", want: ErrTransferEncoding},
		{name: "conflicting CL", msg: get + "Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", want: ErrContentLength},
		{name: "repeated equal CL", msg: get + "Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc", want: ErrContentLength},
		{name: "CL list", msg: get + "Content-Length: 3, 3\r\n\r\nabc", want: ErrContentLength},
		{name: "CL sign", msg: get + "Content-Length: +3\r\n\r\nabc", want: ErrContentLength},
		{name: "CL overflow", msg: get + "Content-Length: 99999999999999999999\r\n\r\n", want: ErrContentLength},
		{name: "CL short body", msg: get + "Content-Length: 5\r\n\r\nabc", want: ErrTruncated},
		{name: "CL then smuggled request", msg: get + "Content-Length: 1\r\n\r\naGET /admin HTTP/1.1\r\nHost: a\r\n\r\n", want: ErrTrailingData},
		{name: "GET then garbage", msg: get + "\r\nx", want: ErrTrailingData},
		{name: "chunk size not hex", msg: get + "Transfer-Encoding: chunked\r\n\r\nzz\r\n", want: ErrChunkSize},
		{name: "chunk size empty", msg: get + "Transfer-Encoding: chunked\r\n\r\n\r\n", want: ErrChunkSize},
		{name: "chunk size space", msg: get + "Transfer-Encoding: chunked\r\n\r\n3 \r\nabc\r\n0\r\n\r\n", want: ErrChunkSize},
		{name: "chunk size overflow", msg: get + "Transfer-Encoding: chunked\r\n\r\n10000000000000000\r\n", want: ErrChunkSize},
		{name: "negative chunk", msg: get + "Transfer-Encoding: chunked\r\n\r\n-1\r\n", want: ErrChunkSize},
		{name: "chunk extension", msg: get + "Transfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\n\r\n", want: ErrChunkExtension},
		{name: "chunk data overrun", msg: get + "Transfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n", want: ErrChunkData},
		{name: "chunk missing", msg: get + "Transfer-Encoding: chunked\r\n\r\n3\r\nab", want: ErrTruncated},
		{name: "no last chunk", msg: get + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n", want: ErrTruncated},
		{name: "bare LF after chunk size", msg: get + "Transfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n", want: ErrBareLF},
		{name: "content-length trailer", msg: get + "Transfer-Encoding: chunked\r\n\r\n0\r\nContent-Length: 5\r\n\r\n", want: ErrTrailerField},
		{name: "host trailer", msg: get + "Transfer-Encoding: chunked\r\n\r\n0\r\nHost: b\r\n\r\n", want: ErrTrailerField},
		{name: "data after chunked", msg: get + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nX", want: ErrTrailingData},

		{name: "status 2 digits", method: "GET", msg: "HTTP/1.1 20 OK\r\n\r\n", want: ErrStartLine},
		{name: "status letters", method: "GET", msg: "HTTP/1.1 2x0 OK\r\n\r\n", want: ErrStatus},
		{name: "status 600", method: "GET", msg: "HTTP/1.1 600 X\r\n\r\n", want: ErrStatus},
		{name: "status 101", method: "GET", msg: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n", want: ErrStatus},
		{name: "status no reason space", method: "GET", msg: "HTTP/1.1 200\r\n\r\n", want: ErrStartLine},
		{name: "reason with control", method: "GET", msg: "HTTP/1.1 200 O\x01K\r\n\r\n", want: ErrStartLine},
		{name: "response HTTP/1.0", method: "GET", msg: "HTTP/1.0 200 OK\r\n\r\n", want: ErrVersion},
		{name: "body on HEAD response", method: "HEAD", msg: ok + "Content-Length: 3\r\n\r\nabc", want: ErrTrailingData},
		{name: "body on 204", method: "GET", msg: "HTTP/1.1 204 No Content\r\n\r\nabc", want: ErrTrailingData},
		{name: "response TE and CL", method: "GET", msg: ok + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", want: ErrTEAndCL},
		{name: "response after response", method: "GET", msg: ok + "Content-Length: 0\r\n\r\n" + ok + "\r\n", want: ErrTrailingData},

		{name: "head too large", msg: get + "X: " + strings.Repeat("a", 60) + "\r\n\r\n", lim: small, want: ErrHeaderTooLarge},
		{name: "head too large, no LF", msg: "GET /" + strings.Repeat("a", 100), lim: small, want: ErrHeaderTooLarge},
		{name: "too many fields", msg: get + "X: 1\r\nY: 2\r\n\r\n", lim: small, want: ErrTooManyFields},
		{name: "name too long", msg: get + "Xxxxxxxxxx: 1\r\n\r\n", lim: small, want: ErrFieldTooLong},
		{name: "value too long", msg: get + "X: 123456789\r\n\r\n", lim: small, want: ErrFieldTooLong},
		{name: "target too long", msg: "GET /123456789 HTTP/1.1\r\nHost: a\r\n\r\n", lim: small, want: ErrFieldTooLong},
		{name: "CL too large", msg: get + "Content-Length: 5\r\n\r\n12345", lim: Limits{MaxBodySize: 4}, want: ErrBodyTooLarge},
		{name: "CL 1 TB", msg: get + "Content-Length: 1000000000000\r\n\r\n", want: ErrBodyTooLarge},
		{name: "chunks too large", msg: get + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", lim: Limits{MaxBodySize: 4}, want: ErrBodyTooLarge},
		{name: "chunk 1 TB", msg: get + "Transfer-Encoding: chunked\r\n\r\nffffffffff\r\n", want: ErrBodyTooLarge},
		{name: "unframed body too large", method: "GET", msg: ok + "\r\n12345", lim: small, want: ErrBodyTooLarge},
		{name: "too many 1xx", method: "GET", msg: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\n\r\n" + ok + "\r\n", lim: Limits{MaxInformational: 1}, want: ErrTooManyInformational},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.method == "" {
				_, err = DecodeRequest([]byte(tt.msg), tt.lim)
			} else {
				_, err = DecodeResponse([]byte(tt.msg), tt.method, tt.lim)
			}
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want *Error wrapping %v", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "h1: ") {
				t.Errorf("%q lacks the package prefix", err)
			}
			if errors.Is(tt.want, ErrLimit) != errors.Is(err, bhttp.ErrLimit) {
				t.Errorf("ErrLimit and bhttp.ErrLimit disagree for %v", err)
			}
		})
	}
}

// TestDecodeAccepts: what the strict parser still accepts, and how.
func TestDecodeAccepts(t *testing.T) {
	r, err := DecodeRequest([]byte("POST http://Example.com?q=1 HTTP/1.1\r\nhost: example.com\r\nConnection: keep-alive, X-Hop\r\n"+
		"X-Hop: 1\r\nTE: trailers\r\nX-A:  spaced \t\r\nx-a: 2\r\nTransfer-Encoding: CHUNKED\r\n\r\n"+
		"3\r\nabc\r\n00A\r\n0123456789\r\n0\r\nX-T: t\r\n\r\n"), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want := bhttp.Request{Method: "POST", Scheme: "http", Authority: "example.com", Path: "/?q=1",
		Header:  bhttp.Fields{{Name: "te", Value: "trailers"}, {Name: "x-a", Value: "spaced"}, {Name: "x-a", Value: "2"}},
		Body:    []byte("abc0123456789"),
		Trailer: bhttp.Fields{{Name: "x-t", Value: "t"}}}
	if r.Method != want.Method || r.Scheme != want.Scheme || r.Authority != want.Authority || r.Path != want.Path ||
		string(r.Body) != string(want.Body) || len(r.Header) != 3 || r.Header[1] != want.Header[1] || r.Header[0] != want.Header[0] || r.Trailer[0] != want.Trailer[0] {
		t.Fatalf("got %+v", r)
	}
	// A response to HEAD keeps its Content-Length and has no body; an
	// unframed response runs to the end of the message.
	resp, err := DecodeResponse([]byte("HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n"), "HEAD", Limits{})
	if err != nil || resp.Header.Get("content-length") != "42" || resp.Body != nil {
		t.Fatalf("HEAD: %+v %v", resp, err)
	}
	resp, err = DecodeResponse([]byte("HTTP/1.1 200 \r\n\r\nto the end"), "GET", Limits{})
	if err != nil || string(resp.Body) != "to the end" {
		t.Fatalf("unframed: %+v %v", resp, err)
	}
	// OPTIONS * and CONNECT authority-form.
	if r, err := DecodeRequest([]byte("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"), Limits{}); err != nil || r.Path != "*" {
		t.Fatalf("OPTIONS *: %+v %v", r, err)
	}
	if r, err := DecodeRequest([]byte("CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n"), Limits{}); err != nil || r.Authority != "a:443" || r.Path != "" {
		t.Fatalf("CONNECT: %+v %v", r, err)
	}
}

// TestEncodeErrors: encoders refuse what decoders would reject or change.
func TestEncodeErrors(t *testing.T) {
	good := bhttp.Request{Method: "GET", Scheme: "http", Authority: "a", Path: "/"}
	tests := []struct {
		name string
		mod  func(r *bhttp.Request)
		want error
	}{
		{"CRLF in value", func(r *bhttp.Request) { r.Header = bhttp.Fields{{Name: "x", Value: "1\r\nx-injected: yes"}} }, ErrFieldValue},
		{"NUL in value", func(r *bhttp.Request) { r.Header = bhttp.Fields{{Name: "x", Value: "\x00"}} }, ErrFieldValue},
		{"space at end", func(r *bhttp.Request) { r.Header = bhttp.Fields{{Name: "x", Value: "a "}} }, ErrFieldValue},
		{"name with colon", func(r *bhttp.Request) { r.Header = bhttp.Fields{{Name: "x:y", Value: "1"}} }, ErrFieldName},
		{"uppercase name", func(r *bhttp.Request) { r.Header = bhttp.Fields{{Name: "X", Value: "1"}} }, ErrFieldName},
		{"pseudo-field", func(r *bhttp.Request) { r.Header = bhttp.Fields{{Name: ":path", Value: "/"}} }, ErrFieldName},
		{"content-length", func(r *bhttp.Request) { r.Header = bhttp.Fields{{Name: "content-length", Value: "0"}} }, ErrFramingField},
		{"transfer-encoding", func(r *bhttp.Request) { r.Header = bhttp.Fields{{Name: "transfer-encoding", Value: "chunked"}} }, ErrFramingField},
		{"connection", func(r *bhttp.Request) { r.Header = bhttp.Fields{{Name: "connection", Value: "close"}} }, ErrFramingField},
		{"host and authority", func(r *bhttp.Request) { r.Header = bhttp.Fields{{Name: "host", Value: "b"}} }, ErrHost},
		{"trailer host", func(r *bhttp.Request) { r.Trailer = bhttp.Fields{{Name: "host", Value: "b"}} }, ErrTrailerField},
		{"space in path", func(r *bhttp.Request) { r.Path = "/a b" }, ErrTarget},
		{"CRLF in path", func(r *bhttp.Request) { r.Path = "/\r\nX: y" }, ErrTarget},
		{"ftp scheme", func(r *bhttp.Request) { r.Scheme = "ftp" }, ErrTarget},
		{"method with space", func(r *bhttp.Request) { r.Method = "GET /x" }, ErrMethod},
		{"authority with CRLF", func(r *bhttp.Request) { r.Authority = "a\r\nX: y" }, ErrHost},
	}
	for _, tt := range tests {
		r := good
		tt.mod(&r)
		b, err := AppendRequest([]byte("x"), &r)
		if !errors.Is(err, tt.want) || string(b) != "x" {
			t.Errorf("%s: got %q, %v; want dst unchanged and %v", tt.name, b, err, tt.want)
		}
	}
	for _, r := range []*bhttp.Response{
		{Status: 101}, {Status: 200, Informational: []bhttp.InfoResponse{{Status: 101}}},
		{Status: 204, Body: []byte("x")},
		{Status: 200, Header: bhttp.Fields{{Name: "content-length", Value: "1"}}, Body: []byte("x")},
	} {
		if _, err := AppendResponse(nil, r); err == nil {
			t.Errorf("%+v: encoded", r)
		}
	}
}
