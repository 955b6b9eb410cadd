package bhttp

import (
	"bytes"
	"io"
	"net/http"
	"net/textproto"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/appwire/appwire/httpipc/internal/requri"
)

// Mapping between Binary HTTP messages and net/http values.
//
// Field lines are mapped one by one: a name or value with CR, LF or NUL, or
// a name that is not an RFC 9110 token, is an *Error (ErrFieldName,
// ErrFieldValue), never re-parsed as text, so no header can be injected.
// Names are lowercased on the wire and canonicalized in http.Header.

// connectionSpecific are the fields RFC 9113 §8.2.2 bans and RFC 9292 says
// encoders SHOULD strip ("te" is kept only as "trailers").
var connectionSpecific = map[string]bool{
	"connection": true, "proxy-connection": true, "keep-alive": true,
	"transfer-encoding": true, "upgrade": true,
}

// FromHTTPRequest converts hr to a known-length Request. It reads hr.Body
// to its end (at most lim.MaxBodySize bytes, else ErrBodyTooLarge) and
// closes it, then takes hr.Trailer. Header fields are sorted by name (a map
// has no order), values keep their order; optional whitespace around values
// is trimmed, and connection-specific fields are dropped. The authority is
// hr.Host (or hr.URL.Host), so no "host" field is written.
func FromHTTPRequest(hr *http.Request, lim Limits) (*Request, error) {
	lim = lim.resolved()
	r := &Request{Method: hr.Method, Scheme: hr.URL.Scheme, Authority: hr.Host, Path: hr.URL.RequestURI()}
	if r.Method == "" {
		r.Method = http.MethodGet
	}
	if r.Scheme == "" {
		r.Scheme = "http"
		if hr.TLS != nil {
			r.Scheme = "https"
		}
	}
	if r.Authority == "" {
		r.Authority = hr.URL.Host
	}
	if r.Method == http.MethodConnect {
		r.Scheme, r.Path = "", ""
	}
	if what, err := checkControl(r.Method, r.Scheme, r.Authority, r.Path); err != nil {
		return nil, newErr(err, what, -1)
	}
	var err error
	if r.Header, err = fromHeader(hr.Header, headerSection, true); err != nil {
		return nil, err
	}
	if r.Body, err = readBody(hr.Body, lim.MaxBodySize); err != nil {
		return nil, err
	}
	r.Trailer, err = fromHeader(hr.Trailer, trailerSection, false)
	return r, err
}

// FromHTTPResponse converts hr to a known-length Response, reading and
// closing hr.Body as FromHTTPRequest does. 1xx responses are not part of an
// http.Response (see ResponseReader.Got1xx and Writer for them).
func FromHTTPResponse(hr *http.Response, lim Limits) (*Response, error) {
	lim = lim.resolved()
	if hr.StatusCode < 200 || hr.StatusCode > 599 {
		return nil, newErr(ErrStatus, "status", -1)
	}
	r := &Response{Status: hr.StatusCode}
	var err error
	if r.Header, err = fromHeader(hr.Header, headerSection, true); err != nil {
		return nil, err
	}
	if r.Body, err = readBody(hr.Body, lim.MaxBodySize); err != nil {
		return nil, err
	}
	r.Trailer, err = fromHeader(hr.Trailer, trailerSection, false)
	return r, err
}

func readBody(body io.ReadCloser, max int64) ([]byte, error) {
	if body == nil || body == http.NoBody {
		return nil, nil
	}
	defer body.Close()
	b, err := io.ReadAll(io.LimitReader(body, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, newErr(ErrBodyTooLarge, "body", -1)
	}
	if len(b) == 0 {
		return nil, nil
	}
	return b, nil
}

func fromHeader(h http.Header, kind sectionKind, header bool) (Fields, error) {
	if len(h) == 0 {
		return nil, nil
	}
	names := make([]string, 0, len(h))
	drop := map[string]bool{}
	for name, vs := range h {
		lname := strings.ToLower(name)
		names = append(names, name)
		if lname == "connection" {
			for _, v := range vs {
				for _, tok := range strings.Split(v, ",") {
					drop[strings.ToLower(textproto.TrimString(tok))] = true
				}
			}
		}
	}
	sort.Strings(names)
	var fs Fields
	for _, name := range names {
		lname := strings.ToLower(name)
		if header && (connectionSpecific[lname] || drop[lname] || lname == "host") {
			continue
		}
		for _, v := range h[name] {
			v = strings.Trim(v, " \t")
			if lname == "te" && v != "trailers" {
				continue
			}
			fs = append(fs, Field{lname, v})
		}
	}
	return fs, validateFields(fs, kind)
}

// ToHTTP converts r to a server-side *http.Request (as http.Server would
// hand to a handler): RequestURI is the path, Host is the authority or else
// the "host" field, Body reads r.Body, ContentLength is its length and
// Trailer holds r.Trailer. A "content-length" field that disagrees with the
// body is ErrFieldValue (RFC 9113 §8.1.1); pseudo-fields have no net/http
// form and are ErrFieldName.
func (r *Request) ToHTTP() (*http.Request, error) {
	if what, err := checkControl(r.Method, r.Scheme, r.Authority, r.Path); err != nil {
		return nil, newErr(err, what, -1)
	}
	h, err := toHeader(r.Header, headerSection)
	if err != nil {
		return nil, err
	}
	tr, err := toHeader(r.Trailer, trailerSection)
	if err != nil {
		return nil, err
	}
	if h == nil {
		h = http.Header{} // handlers may Set on it
	}
	host := r.Authority
	if vs := h["Host"]; len(vs) > 0 {
		if host == "" {
			host = vs[0]
		}
		delete(h, "Host")
	}
	if err := checkContentLength(h, len(r.Body)); err != nil {
		return nil, err
	}
	// The request and its URL in one allocation.
	x := &struct {
		req http.Request
		url url.URL
	}{}
	u := &x.url
	*u = url.URL{Scheme: r.Scheme, Host: host}
	if r.Method != http.MethodConnect {
		if r.Path == "*" {
			u.Path = "*"
		} else if err := requri.Parse(u, r.Path); err != nil {
			return nil, newErr(ErrPath, "path", -1)
		}
	}
	hr := &x.req
	*hr = http.Request{
		Method: r.Method, URL: u, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Host: host, RequestURI: r.Path, ContentLength: int64(len(r.Body)),
		Body: http.NoBody, Trailer: tr,
	}
	if len(r.Body) > 0 {
		hr.Body = io.NopCloser(bytes.NewReader(r.Body))
	}
	return hr, nil
}

// ToHTTP converts r to an *http.Response (informational responses are
// dropped). Status text comes from http.StatusText, as Binary HTTP has no
// reason phrase. A "content-length" field is kept as sent, since a response
// to HEAD may announce a length it does not carry.
func (r *Response) ToHTTP() (*http.Response, error) {
	if r.Status < 200 || r.Status > 599 {
		return nil, newErr(ErrStatus, "final status", -1)
	}
	h, err := toHeader(r.Header, headerSection)
	if err != nil {
		return nil, err
	}
	tr, err := toHeader(r.Trailer, trailerSection)
	if err != nil {
		return nil, err
	}
	if h == nil {
		h = http.Header{}
	}
	hr := &http.Response{
		Status: strconv.Itoa(r.Status) + " " + http.StatusText(r.Status), StatusCode: r.Status,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: h, Trailer: tr,
		ContentLength: int64(len(r.Body)), Body: http.NoBody,
	}
	if len(r.Body) > 0 {
		hr.Body = io.NopCloser(bytes.NewReader(r.Body))
	}
	return hr, nil
}

func toHeader(fs Fields, kind sectionKind) (http.Header, error) {
	if err := validateFields(fs, kind); err != nil {
		return nil, err
	}
	if len(fs) == 0 {
		return nil, nil
	}
	// Canonical names come from a table for the common fields; the others
	// are built into one buffer and share one string. The values share one
	// backing array (a repeated field appends beyond its slot).
	var keyBuf [32]string
	var spanBuf [32]span
	keys, spans := keyBuf[:0], spanBuf[:0]
	if len(fs) > len(keyBuf) {
		keys, spans = make([]string, 0, len(fs)), make([]span, 0, len(fs))
	}
	var nb []byte
	for _, f := range fs {
		if f.Name[0] == ':' {
			return nil, newErr(ErrFieldName, "pseudo-field "+quote(f.Name)+" (no net/http form)", -1)
		}
		k, ok := canonicalOf(f.Name)
		keys = append(keys, k)
		if ok {
			spans = append(spans, span{-1, 0})
			continue
		}
		off := len(nb)
		nb = appendCanonical(nb, f.Name)
		spans = append(spans, span{off, len(nb) - off})
	}
	names := string(nb)
	h := make(http.Header, len(fs))
	vals := make([]string, len(fs))
	for i, f := range fs {
		k := keys[i]
		if sp := spans[i]; sp.off >= 0 {
			k = names[sp.off : sp.off+sp.n]
		}
		if vs, ok := h[k]; ok {
			h[k] = append(vs[:len(vs):len(vs)], f.Value)
			continue
		}
		vals[i] = f.Value
		h[k] = vals[i : i+1 : i+1]
	}
	return h, nil
}

// appendCanonical appends textproto.CanonicalMIMEHeaderKey(name) for a
// valid field name.
func appendCanonical(dst []byte, name string) []byte {
	if !validHeaderKey(name) {
		return append(dst, textproto.CanonicalMIMEHeaderKey(name)...)
	}
	upper := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if upper && 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		} else if !upper && 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
		upper = c == '-'
	}
	return dst
}

// validHeaderKey: CanonicalMIMEHeaderKey changes only keys made of token
// characters (others it returns unchanged).
func validHeaderKey(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isTchar(s[i]) {
			return false
		}
	}
	return s != ""
}

// canonicalOf returns the canonical http.Header key of the lowercase wire
// name of a common field, so converting it allocates nothing (a switch:
// faster than a map lookup).
func canonicalOf(name string) (string, bool) {
	switch name {
	case "accept":
		return "Accept", true
	case "accept-charset":
		return "Accept-Charset", true
	case "accept-encoding":
		return "Accept-Encoding", true
	case "accept-language":
		return "Accept-Language", true
	case "accept-ranges":
		return "Accept-Ranges", true
	case "access-control-request-headers":
		return "Access-Control-Request-Headers", true
	case "access-control-request-method":
		return "Access-Control-Request-Method", true
	case "age":
		return "Age", true
	case "allow":
		return "Allow", true
	case "authorization":
		return "Authorization", true
	case "cache-control":
		return "Cache-Control", true
	case "connection":
		return "Connection", true
	case "content-disposition":
		return "Content-Disposition", true
	case "content-encoding":
		return "Content-Encoding", true
	case "content-language":
		return "Content-Language", true
	case "content-length":
		return "Content-Length", true
	case "content-location":
		return "Content-Location", true
	case "content-range":
		return "Content-Range", true
	case "content-type":
		return "Content-Type", true
	case "cookie":
		return "Cookie", true
	case "date":
		return "Date", true
	case "dnt":
		return "Dnt", true
	case "etag":
		return "Etag", true
	case "expect":
		return "Expect", true
	case "expires":
		return "Expires", true
	case "forwarded":
		return "Forwarded", true
	case "from":
		return "From", true
	case "host":
		return "Host", true
	case "if-match":
		return "If-Match", true
	case "if-modified-since":
		return "If-Modified-Since", true
	case "if-none-match":
		return "If-None-Match", true
	case "if-range":
		return "If-Range", true
	case "if-unmodified-since":
		return "If-Unmodified-Since", true
	case "last-modified":
		return "Last-Modified", true
	case "link":
		return "Link", true
	case "location":
		return "Location", true
	case "max-forwards":
		return "Max-Forwards", true
	case "origin":
		return "Origin", true
	case "pragma":
		return "Pragma", true
	case "prefer":
		return "Prefer", true
	case "priority":
		return "Priority", true
	case "range":
		return "Range", true
	case "referer":
		return "Referer", true
	case "refresh":
		return "Refresh", true
	case "retry-after":
		return "Retry-After", true
	case "sec-fetch-dest":
		return "Sec-Fetch-Dest", true
	case "sec-fetch-mode":
		return "Sec-Fetch-Mode", true
	case "sec-fetch-site":
		return "Sec-Fetch-Site", true
	case "sec-fetch-user":
		return "Sec-Fetch-User", true
	case "server":
		return "Server", true
	case "set-cookie":
		return "Set-Cookie", true
	case "te":
		return "Te", true
	case "trailer":
		return "Trailer", true
	case "upgrade":
		return "Upgrade", true
	case "upgrade-insecure-requests":
		return "Upgrade-Insecure-Requests", true
	case "user-agent":
		return "User-Agent", true
	case "vary":
		return "Vary", true
	case "via":
		return "Via", true
	case "www-authenticate":
		return "Www-Authenticate", true
	case "x-content-type-options":
		return "X-Content-Type-Options", true
	case "x-forwarded-for":
		return "X-Forwarded-For", true
	case "x-forwarded-host":
		return "X-Forwarded-Host", true
	case "x-forwarded-proto":
		return "X-Forwarded-Proto", true
	case "x-request-id":
		return "X-Request-Id", true
	case "x-requested-with":
		return "X-Requested-With", true
	case "traceparent":
		return "Traceparent", true
	case "tracestate":
		return "Tracestate", true
	}
	return "", false
}

func checkContentLength(h http.Header, n int) error {
	vs := h["Content-Length"]
	if len(vs) == 0 {
		return nil
	}
	for _, v := range vs {
		if v != strconv.Itoa(n) {
			return newErr(ErrFieldValue, "content-length "+quote(v)+" disagrees with the content", -1)
		}
	}
	delete(h, "Content-Length")
	return nil
}
