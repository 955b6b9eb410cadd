package envelope

import (
	"errors"
	"net/http"

	"github.com/appwire/appwire/httpipc/bhttp"
)

// The net/http mapping is bhttp's (FromHTTPRequest, Request.ToHTTP and the
// response twins), so an *http.Request means the same thing whichever
// httpipc codec carries it: header names are lowercased and sorted (an
// http.Header has no order across names; values of one name keep theirs),
// connection-specific fields and "host" are dropped on the way in (Host
// becomes the authority), and a "content-length" field must agree with the
// body on the way out.

// AppendHTTPRequest appends the envelope of hr to dst. It reads hr.Body to
// its end (at most lim.MaxBodySize bytes) and closes it.
func AppendHTTPRequest(dst []byte, hr *http.Request, lim Limits) ([]byte, error) {
	r, err := bhttp.FromHTTPRequest(hr, lim.resolved().bhttp())
	if err != nil {
		return dst, fromBHTTP(err, "request")
	}
	return AppendRequest(dst, r)
}

// AppendHTTPResponse appends the envelope of hr to dst, reading and closing
// hr.Body as AppendHTTPRequest does. A net/http response has no 1xx part.
func AppendHTTPResponse(dst []byte, hr *http.Response, lim Limits) ([]byte, error) {
	r, err := bhttp.FromHTTPResponse(hr, lim.resolved().bhttp())
	if err != nil {
		return dst, fromBHTTP(err, "response")
	}
	return AppendResponse(dst, r)
}

// DecodeHTTPRequest decodes a request envelope into a server-side
// *http.Request (as http.Server hands to a handler; see
// bhttp.Request.ToHTTP). Body aliases b.
func DecodeHTTPRequest(b []byte, lim Limits) (*http.Request, error) {
	r, err := DecodeRequest(b, lim)
	if err != nil {
		return nil, err
	}
	hr, err := r.ToHTTP()
	if err != nil {
		return nil, fromBHTTP(err, "request")
	}
	return hr, nil
}

// DecodeHTTPResponse decodes a response envelope into an *http.Response;
// informational responses are dropped (DecodeResponse keeps them). Body
// aliases b.
func DecodeHTTPResponse(b []byte, lim Limits) (*http.Response, error) {
	r, err := DecodeResponse(b, lim)
	if err != nil {
		return nil, err
	}
	hr, err := r.ToHTTP()
	if err != nil {
		return nil, fromBHTTP(err, "response")
	}
	return hr, nil
}

// fromBHTTP wraps an error of the bhttp mapping; its body limit becomes
// ours.
func fromBHTTP(err error, what string) error {
	if errors.Is(err, bhttp.ErrBodyTooLarge) {
		return newErr(ErrBodyTooLarge, what+" body", -1)
	}
	var be *bhttp.Error
	if errors.As(err, &be) {
		return &Error{Err: err, Offset: -1}
	}
	return &Error{Err: err, What: what + " body", Offset: -1} // reading hr.Body failed
}
