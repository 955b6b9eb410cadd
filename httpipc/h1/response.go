package h1

import (
	"bytes"

	"github.com/appwire/appwire/httpipc/bhttp"
)

// DecodeResponse decodes one HTTP/1.1 response, with any 1xx responses
// before it: all of b. method is the method of the request it answers:
// a response to HEAD, like a 204 or 304, has no body whatever its
// Content-Length says (which is then kept as a field). A response with
// neither Transfer-Encoding nor Content-Length runs to the end of b (the
// end of a message is the only "close" a message channel has).
//
// The reason phrase is checked and dropped (bhttp has none). Fields are
// handled as by DecodeRequest; Body aliases b when it arrived in one piece.
func DecodeResponse(b []byte, method string, lim Limits) (*bhttp.Response, error) {
	p := &parser{b: b, lim: lim.resolved(), spans: make([]fieldSpan, 0, 16)}
	r := &bhttp.Response{}
	for {
		start := p.off
		l, err := p.line("status line", start)
		if err != nil {
			return nil, err
		}
		status, err := p.statusLine(l, start)
		if err != nil {
			return nil, err
		}
		if err := p.fields("header section", start); err != nil {
			return nil, err
		}
		if status >= 200 {
			r.Status = status
			break
		}
		if len(r.Informational) == p.lim.MaxInformational {
			return nil, newErr(ErrTooManyInformational, "informational response", start)
		}
		r.Informational = append(r.Informational, bhttp.InfoResponse{Status: status,
			Header: p.materialize(p.connectionDrop(false))})
	}
	fr, err := p.framing()
	if err != nil {
		return nil, err
	}
	bodiless := method == "HEAD" || r.Status == 204 || r.Status == 304
	r.Header = p.materialize(p.connectionDrop(bodiless))
	if !bodiless {
		if r.Body, r.Trailer, err = p.body(fr, true); err != nil {
			return nil, err
		}
	}
	if p.off != len(b) {
		return nil, newErr(ErrTrailingData, "response", p.off)
	}
	return r, nil
}

// statusLine parses "HTTP/1.1 SP 3DIGIT SP reason-phrase".
func (p *parser) statusLine(l []byte, at int) (int, error) {
	const v = "HTTP/1.1 "
	if len(l) < len(v)+4 || l[len(v)+3] != ' ' {
		if len(l) >= 5 && string(l[:5]) == "HTTP/" && !bytes.HasPrefix(l, []byte(v)) {
			return 0, newErr(ErrVersion, "status line", at)
		}
		return 0, newErr(ErrStartLine, "status line", at)
	}
	if string(l[:len(v)]) != v {
		return 0, newErr(ErrVersion, "status line", at)
	}
	code := l[len(v) : len(v)+3]
	status := 0
	for _, c := range code {
		if c < '0' || c > '9' {
			return 0, newErr(ErrStatus, "status code", at+len(v))
		}
		status = status*10 + int(c-'0')
	}
	if status < 100 || status > 599 || status == 101 {
		return 0, newErr(ErrStatus, "status code", at+len(v))
	}
	reason := l[len(v)+4:]
	if len(reason) > p.lim.MaxFieldLength {
		return 0, newErr(ErrFieldTooLong, "reason phrase", at+len(v)+4)
	}
	if j := invalidValueByte(reason); j >= 0 {
		return 0, newErr(ErrStartLine, "reason phrase", at+len(v)+4+j)
	}
	return status, nil
}
