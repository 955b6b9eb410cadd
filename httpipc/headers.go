package httpipc

import (
	"net/http"
	"net/textproto"
	"strings"

	"github.com/appwire/appwire/httpipc/bhttp"
)

// Header names are lowercase on the wire and canonical in http.Header. The
// common ones are converted through these tables, without allocating.
var (
	lowerOf     = map[string]string{}
	canonicalOf = map[string]string{}
)

func init() {
	for _, k := range []string{
		"Accept", "Accept-Charset", "Accept-Encoding", "Accept-Language", "Accept-Ranges",
		"Age", "Allow", "Authorization", "Cache-Control", "Content-Disposition",
		"Content-Encoding", "Content-Language", "Content-Length", "Content-Location",
		"Content-Range", "Content-Type", "Cookie", "Date", "Etag", "Expect", "Expires",
		"Forwarded", "From", "Host", "If-Match", "If-Modified-Since", "If-None-Match",
		"If-Range", "If-Unmodified-Since", "Last-Modified", "Link", "Location",
		"Max-Forwards", "Origin", "Prefer", "Range", "Referer", "Refresh", "Retry-After",
		"Server", "Set-Cookie", "Trailer", "User-Agent", "Vary", "Via",
		"Www-Authenticate", "X-Content-Type-Options", "X-Forwarded-For",
		"X-Forwarded-Host", "X-Forwarded-Proto", "X-Request-Id",
		"X-Experience-Api-Version", "Traceparent", "Tracestate",
	} {
		l := strings.ToLower(k)
		lowerOf[k], canonicalOf[l] = l, k
	}
}

func lowerName(k string) string {
	if l, ok := lowerOf[k]; ok {
		return l
	}
	return strings.ToLower(k)
}

func canonicalName(l string) string {
	if k, ok := canonicalOf[l]; ok {
		return k
	}
	return textproto.CanonicalMIMEHeaderKey(l)
}

// connectionSpecific fields are not carried (RFC 9113 §8.2.2, RFC 9292 §6).
var connectionSpecific = map[string]bool{
	"Connection": true, "Proxy-Connection": true, "Keep-Alive": true,
	"Transfer-Encoding": true, "Upgrade": true, "Host": true,
}

// appendFields appends h as field lines: lowercase names, optional
// whitespace trimmed, connection-specific fields (and those the Connection
// field names) dropped, "te" kept only as "trailers", and names with
// http.TrailerPrefix skipped. Validation is left to the bhttp.Writer.
func appendFields(fs bhttp.Fields, h http.Header) bhttp.Fields {
	var drop []string
	for _, v := range h["Connection"] {
		for _, tok := range strings.Split(v, ",") {
			if tok = textproto.TrimString(tok); tok != "" {
				drop = append(drop, textproto.CanonicalMIMEHeaderKey(tok))
			}
		}
	}
	for k, vs := range h {
		if connectionSpecific[k] || strings.HasPrefix(k, http.TrailerPrefix) || contains(drop, k) {
			continue
		}
		name := lowerName(k)
		for _, v := range vs {
			v = strings.Trim(v, " \t")
			if name == "te" && v != "trailers" {
				continue
			}
			fs = append(fs, bhttp.Field{Name: name, Value: v})
		}
	}
	return fs
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// toHeader converts field lines to an http.Header. Pseudo-fields have no
// net/http form and are reported as false.
//
// The values share one backing array (a field repeated later in the
// section appends beyond its slot and gets its own), so a header costs
// the map and one allocation, not one per field.
func toHeader(fs bhttp.Fields) (http.Header, bool) {
	h := make(http.Header, len(fs))
	vals := make([]string, len(fs))
	for i, f := range fs {
		if f.Name[0] == ':' {
			return nil, false
		}
		k := canonicalName(f.Name)
		if vs, ok := h[k]; ok {
			h[k] = append(vs[:len(vs):len(vs)], f.Value)
			continue
		}
		vals[i] = f.Value
		h[k] = vals[i : i+1 : i+1]
	}
	return h, true
}
