package h1

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/appwire/appwire/httpipc/bhttp"
)

// The net/http mapping is bhttp's (FromHTTPRequest, Request.ToHTTP and the
// response twins), so an *http.Request means the same whichever httpipc
// codec carries it. On top of it: a Content-Length header that agrees with
// the body is dropped (the encoder frames the body itself) and one that
// disagrees is ErrContentLength, except on a bodiless response (HEAD, 304).

// AppendHTTPRequest appends hr as HTTP/1.1 to dst. It reads hr.Body to its
// end (at most lim.MaxBodySize bytes) and closes it.
func AppendHTTPRequest(dst []byte, hr *http.Request, lim Limits) ([]byte, error) {
	r, err := bhttp.FromHTTPRequest(hr, bhttpLimits(lim))
	if err != nil {
		return dst, fromBHTTP(err, "request")
	}
	if r.Header, err = dropContentLength(r.Header, len(r.Body), false); err != nil {
		return dst, err
	}
	return AppendRequest(dst, r)
}

// AppendHTTPResponse appends hr as HTTP/1.1 to dst, reading and closing
// hr.Body as AppendHTTPRequest does.
func AppendHTTPResponse(dst []byte, hr *http.Response, lim Limits) ([]byte, error) {
	r, err := bhttp.FromHTTPResponse(hr, bhttpLimits(lim))
	if err != nil {
		return dst, fromBHTTP(err, "response")
	}
	bodiless := len(r.Body) == 0 && len(r.Trailer) == 0
	if r.Header, err = dropContentLength(r.Header, len(r.Body), bodiless); err != nil {
		return dst, err
	}
	return AppendResponse(dst, r)
}

// DecodeHTTPRequest decodes an HTTP/1.1 request into a server-side
// *http.Request (see bhttp.Request.ToHTTP). Body aliases b.
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

// DecodeHTTPResponse decodes an HTTP/1.1 response to a request with the
// given method; 1xx responses are dropped (DecodeResponse keeps them).
// Body aliases b.
func DecodeHTTPResponse(b []byte, method string, lim Limits) (*http.Response, error) {
	r, err := DecodeResponse(b, method, lim)
	if err != nil {
		return nil, err
	}
	hr, err := r.ToHTTP()
	if err != nil {
		return nil, fromBHTTP(err, "response")
	}
	if method == "HEAD" || r.Status == 204 || r.Status == 304 {
		hr.ContentLength = -1
		if v := r.Header.Get("content-length"); v != "" {
			hr.ContentLength, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	return hr, nil
}

func bhttpLimits(lim Limits) bhttp.Limits {
	return bhttp.Limits{MaxBodySize: int64(lim.resolved().MaxBodySize)}
}

// dropContentLength removes content-length fields equal to n; others are
// ErrContentLength unless keep.
func dropContentLength(fs bhttp.Fields, n int, keep bool) (bhttp.Fields, error) {
	out := fs[:0:0]
	for _, f := range fs {
		if f.Name == "content-length" {
			if f.Value == strconv.Itoa(n) {
				continue
			}
			if !keep {
				return nil, newErr(ErrContentLength, "content-length "+quote(f.Value)+" disagrees with the body", -1)
			}
		}
		out = append(out, f)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
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
	return &Error{Err: err, What: what + " body", Offset: -1}
}
