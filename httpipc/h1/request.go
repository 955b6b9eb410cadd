package h1

import (
	"bytes"

	"github.com/appwire/appwire/httpipc/bhttp"
)

// DecodeRequest decodes one HTTP/1.1 request: all of b, which must hold
// exactly one message (bytes after it are ErrTrailingData). It returns the
// request in the bhttp message model:
//
//   - origin-form "/p?q" gives Scheme "http" (HTTP/1.1 does not carry the
//     scheme), Authority from Host, Path "/p?q"; absolute-form
//     "https://a/p" gives Scheme "https", Authority "a" (which must equal
//     Host), Path "/p"; authority-form (CONNECT) gives Authority and empty
//     Scheme and Path; "*" (OPTIONS) gives Path "*".
//   - Field names are lowercased; order and repeats are kept. The Host
//     field becomes Authority; Content-Length and Transfer-Encoding are
//     consumed by framing; connection-specific fields (Connection and what
//     it names, Keep-Alive, Proxy-Connection, Upgrade, TE other than
//     "trailers") are stripped, since real HTTP/1.1 clients behind a
//     localhost proxy send them.
//   - Body aliases b when it arrived in one piece; strings never do.
//
// Every error is an *Error; see the package doc for what is rejected.
func DecodeRequest(b []byte, lim Limits) (*bhttp.Request, error) {
	p := &parser{b: b, lim: lim.resolved(), spans: make([]fieldSpan, 0, 16)}
	l, err := p.line("request line", 0)
	if err != nil {
		return nil, err
	}
	method, target, err := requestLine(l)
	if err != nil {
		return nil, err
	}
	if len(target) > p.lim.MaxFieldLength {
		return nil, newErr(ErrFieldTooLong, "request target", len(method)+1)
	}
	if err := p.fields("header section", 0); err != nil {
		return nil, err
	}
	r := &bhttp.Request{Method: string(method)}
	host, err := p.host()
	if err != nil {
		return nil, err
	}
	if err := setTarget(r, target, host, len(method)+1); err != nil {
		return nil, err
	}
	fr, err := p.framing()
	if err != nil {
		return nil, err
	}
	drop := p.connectionDrop(false)
	r.Header = p.materialize(func(name, value string) bool { return name == "host" || drop(name, value) })
	if r.Body, r.Trailer, err = p.body(fr, false); err != nil {
		return nil, err
	}
	if p.off != len(b) {
		return nil, newErr(ErrTrailingData, "request", p.off)
	}
	return r, nil
}

// requestLine splits "method SP request-target SP HTTP/1.1".
func requestLine(l []byte) (method, target []byte, err error) {
	sp1 := bytes.IndexByte(l, ' ')
	if sp1 < 0 {
		return nil, nil, newErr(ErrStartLine, "request line", 0)
	}
	sp2 := bytes.IndexByte(l[sp1+1:], ' ')
	if sp2 < 0 {
		return nil, nil, newErr(ErrStartLine, "request line", 0)
	}
	sp2 += sp1 + 1
	method, target, version := l[:sp1], l[sp1+1:sp2], l[sp2+1:]
	if !isToken(method) {
		return nil, nil, newErr(ErrMethod, "method", 0)
	}
	if len(target) == 0 || bytes.IndexByte(version, ' ') >= 0 {
		return nil, nil, newErr(ErrStartLine, "request line", 0)
	}
	if string(version) != "HTTP/1.1" {
		return nil, nil, newErr(ErrVersion, "request line", sp2+1)
	}
	if !validTarget(target) {
		return nil, nil, newErr(ErrTarget, "request target", sp1+1)
	}
	return method, target, nil
}

// host returns the single Host field value (RFC 9112 §3.2).
func (p *parser) host() (string, error) {
	var host []byte
	n := 0
	for _, f := range p.spans {
		if equalFold(p.b[f.nameOff:f.nameOff+f.nameLen], "host") {
			n++
			host = p.b[f.valOff : f.valOff+f.valLen]
			if n > 1 || !validAuthority(host) {
				return "", newErr(ErrHost, "host", f.nameOff)
			}
		}
	}
	if n == 0 {
		return "", newErr(ErrHost, "host (missing)", 0)
	}
	return string(host), nil
}

// setTarget maps the request-target (RFC 9112 §3.2) to control data.
func setTarget(r *bhttp.Request, target []byte, host string, at int) error {
	switch {
	case r.Method == "CONNECT":
		if !validAuthority(target) {
			return newErr(ErrTarget, "CONNECT target (want authority-form)", at)
		}
		r.Authority = string(target)
	case string(target) == "*":
		if r.Method != "OPTIONS" {
			return newErr(ErrTarget, "asterisk-form target (OPTIONS only)", at)
		}
		r.Scheme, r.Authority, r.Path = "http", host, "*"
	case target[0] == '/':
		r.Scheme, r.Authority, r.Path = "http", host, string(target)
	default:
		var rest []byte
		switch {
		case len(target) > 7 && equalFold(target[:7], "http://"):
			r.Scheme, rest = "http", target[7:]
		case len(target) > 8 && equalFold(target[:8], "https://"):
			r.Scheme, rest = "https", target[8:]
		default:
			return newErr(ErrTarget, "request target", at)
		}
		end := bytes.IndexAny(rest, "/?")
		if end < 0 {
			end = len(rest)
		}
		authority := rest[:end]
		if !validAuthority(authority) {
			return newErr(ErrTarget, "request target authority", at)
		}
		if !equalFold(authority, host) {
			return newErr(ErrHost, "host disagrees with the request target", at)
		}
		r.Authority = host
		switch path := rest[end:]; {
		case len(path) == 0:
			r.Path = "/"
		case path[0] == '?':
			r.Path = "/" + string(path)
		default:
			r.Path = string(path)
		}
	}
	return nil
}
