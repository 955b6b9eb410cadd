package h1

import (
	"net/http"
	"strconv"

	"github.com/appwire/appwire/httpipc/bhttp"
)

// AppendRequest appends r as an HTTP/1.1 request to dst, the way RawHTTP
// writes one: origin-form target with a Host field (CONNECT: authority-form;
// "*" for OPTIONS), field names in canonical case, and the body framed by
// Content-Length, or chunked when there are trailers. Content-Length is
// written when the body is not empty and for POST, PUT and PATCH.
//
// The scheme has no HTTP/1.1 form: it must be http or https (empty for
// CONNECT) and is not written. If Authority is empty, a single "host" field
// in r.Header is the Host; otherwise r.Header must have none. It returns
// dst unchanged and an *Error if r cannot be written so that DecodeRequest
// gives it back.
func AppendRequest(dst []byte, r *bhttp.Request) ([]byte, error) {
	host, err := checkRequest(r)
	if err != nil {
		return dst, err
	}
	b := dst
	b = append(b, r.Method...)
	b = append(b, ' ')
	if r.Method == "CONNECT" {
		b = append(b, r.Authority...)
	} else {
		b = append(b, r.Path...)
	}
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, host...)
	b = append(b, "\r\n"...)
	for _, f := range r.Header {
		if f.Name != "host" {
			b = appendField(b, f)
		}
	}
	withCL := len(r.Body) > 0 || r.Method == "POST" || r.Method == "PUT" || r.Method == "PATCH"
	return appendBody(b, r.Body, r.Trailer, withCL), nil
}

// AppendResponse appends r as HTTP/1.1 to dst: each informational response
// as its own head, then the final status line with http.StatusText as the
// reason, the fields, and the body framed by Content-Length (chunked when
// there are trailers). A "content-length" field is allowed only with an
// empty body and no trailers (a response to HEAD, or a 304) and is then
// written as is, with no body. It returns dst unchanged and an *Error if r
// cannot be written.
func AppendResponse(dst []byte, r *bhttp.Response) ([]byte, error) {
	keepCL, err := checkResponse(r)
	if err != nil {
		return dst, err
	}
	b := dst
	for _, in := range r.Informational {
		b = appendStatusLine(b, in.Status)
		for _, f := range in.Header {
			b = appendField(b, f)
		}
		b = append(b, "\r\n"...)
	}
	b = appendStatusLine(b, r.Status)
	for _, f := range r.Header {
		b = appendField(b, f)
	}
	if keepCL || r.Status == 204 || r.Status == 304 {
		return append(b, "\r\n"...), nil
	}
	return appendBody(b, r.Body, r.Trailer, true), nil
}

func appendStatusLine(b []byte, status int) []byte {
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, ' ')
	b = append(b, http.StatusText(status)...)
	return append(b, "\r\n"...)
}

// appendField writes a field with its name in canonical case
// (content-type → Content-Type), as older HTTP/1.1 peers expect.
func appendField(b []byte, f bhttp.Field) []byte {
	up := true
	for i := 0; i < len(f.Name); i++ {
		c := f.Name[i]
		if up && 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		} else if !up && 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
		up = c == '-'
	}
	b = append(b, ": "...)
	b = append(b, f.Value...)
	return append(b, "\r\n"...)
}

func appendBody(b, body []byte, trailer bhttp.Fields, withCL bool) []byte {
	if len(trailer) > 0 {
		b = append(b, "Transfer-Encoding: chunked\r\n\r\n"...)
		if len(body) > 0 {
			b = strconv.AppendInt(b, int64(len(body)), 16)
			b = append(b, "\r\n"...)
			b = append(b, body...)
			b = append(b, "\r\n"...)
		}
		b = append(b, "0\r\n"...)
		for _, f := range trailer {
			b = appendField(b, f)
		}
		return append(b, "\r\n"...)
	}
	if withCL {
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, int64(len(body)), 10)
		b = append(b, "\r\n"...)
	}
	b = append(b, "\r\n"...)
	return append(b, body...)
}
