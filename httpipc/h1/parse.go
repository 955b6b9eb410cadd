package h1

import (
	"bytes"
	"strings"

	"github.com/appwire/appwire/httpipc/bhttp"
)

// Why a parser of our own rather than http.ReadRequest behind pre-checks:
// net/http's reader accepts bare LF line ends, joins obs-fold, takes a
// repeated identical Content-Length, accepts chunk extensions with any
// bytes up to LF, reads a response without framing until EOF, and
// canonicalizes names into a map, which loses the order across names that
// the other httpipc codecs keep. Pre-checks that re-find every line end and
// every framing field would be a second parser anyway, so this is one
// strict parser over the whole message, with no text re-parsing, a
// constant number of allocations, and the same bhttp message model as the
// other codecs.

// parser walks one message held in memory.
type parser struct {
	b   []byte
	off int
	lim Limits

	// fields of the current section as spans into b, and the total text
	// size for materializing them into one string.
	spans   []fieldSpan
	textLen int
}

type fieldSpan struct{ nameOff, nameLen, valOff, valLen int }

// line returns the next line (without CRLF) of a head that started at
// start, and moves past it. Bare CR, bare LF and NUL are errors; a line
// end beyond start+MaxHeaderBytes is ErrHeaderTooLarge.
func (p *parser) line(what string, start int) ([]byte, error) {
	limit := start + p.lim.MaxHeaderBytes
	rest := p.b[p.off:]
	if len(rest) > limit-p.off {
		rest = rest[:max(limit-p.off, 0)]
	}
	i := bytes.IndexByte(rest, '\n')
	if i < 0 {
		if len(p.b) > limit {
			return nil, newErr(ErrHeaderTooLarge, what, start)
		}
		if j := bytes.IndexByte(rest, '\r'); j >= 0 && j+1 < len(rest) {
			return nil, newErr(ErrBareCR, what, p.off+j)
		}
		if j := bytes.IndexByte(rest, 0); j >= 0 {
			return nil, newErr(ErrNUL, what, p.off+j)
		}
		return nil, newErr(ErrTruncated, what, p.off)
	}
	if i == 0 || rest[i-1] != '\r' {
		return nil, newErr(ErrBareLF, what, p.off+i)
	}
	l := rest[:i-1]
	if j := bytes.IndexByte(l, '\r'); j >= 0 {
		return nil, newErr(ErrBareCR, what, p.off+j)
	}
	if j := bytes.IndexByte(l, 0); j >= 0 {
		return nil, newErr(ErrNUL, what, p.off+j)
	}
	p.off += i + 1
	return l, nil
}

// fields parses field lines through the empty line that ends a section.
func (p *parser) fields(what string, start int) error {
	p.spans, p.textLen = p.spans[:0], 0
	for {
		at := p.off
		l, err := p.line(what, start)
		if err != nil {
			return err
		}
		if len(l) == 0 {
			return nil
		}
		if l[0] == ' ' || l[0] == '\t' {
			return newErr(ErrObsFold, what, at)
		}
		colon := bytes.IndexByte(l, ':')
		if colon < 0 {
			return newErr(ErrFieldName, what+" (no colon)", at)
		}
		name := l[:colon]
		if len(name) > p.lim.MaxFieldLength {
			return newErr(ErrFieldTooLong, what+" field name", at)
		}
		if !isToken(name) {
			return newErr(ErrFieldName, what+" field "+quote(string(name)), at)
		}
		v0, v1 := colon+1, len(l)
		for v0 < v1 && isWS(l[v0]) {
			v0++
		}
		for v1 > v0 && isWS(l[v1-1]) {
			v1--
		}
		if v1-v0 > p.lim.MaxFieldLength {
			return newErr(ErrFieldTooLong, what+" field value", at+v0)
		}
		if j := invalidValueByte(l[v0:v1]); j >= 0 {
			return newErr(ErrFieldValue, what+" field "+quote(string(name)), at+v0+j)
		}
		if len(p.spans) == p.lim.MaxFields {
			return newErr(ErrTooManyFields, what, start)
		}
		p.spans = append(p.spans, fieldSpan{at, colon, at + v0, v1 - v0})
		p.textLen += colon + v1 - v0
	}
}

// materialize turns p.spans into Fields (names lowercased), all substrings
// of one string, dropping those drop reports.
func (p *parser) materialize(drop func(name, value string) bool) bhttp.Fields {
	if len(p.spans) == 0 {
		return nil
	}
	var sb strings.Builder
	sb.Grow(p.textLen)
	for _, f := range p.spans {
		for _, c := range p.b[f.nameOff : f.nameOff+f.nameLen] {
			sb.WriteByte(lower(c))
		}
		sb.Write(p.b[f.valOff : f.valOff+f.valLen])
	}
	s := sb.String()
	fs := make(bhttp.Fields, 0, len(p.spans))
	pos := 0
	for _, f := range p.spans {
		name := s[pos : pos+f.nameLen]
		pos += f.nameLen
		value := s[pos : pos+f.valLen]
		pos += f.valLen
		if drop != nil && drop(name, value) {
			continue
		}
		fs = append(fs, bhttp.Field{Name: name, Value: value})
	}
	if len(fs) == 0 {
		return nil
	}
	return fs
}

// framing is what a head says about the body.
type framing struct {
	chunked bool
	hasCL   bool
	cl      int64
	clValue string
}

// framing reads Transfer-Encoding and Content-Length from p.spans.
func (p *parser) framing() (framing, error) {
	var fr framing
	te := 0
	for _, f := range p.spans {
		name := p.b[f.nameOff : f.nameOff+f.nameLen]
		value := p.b[f.valOff : f.valOff+f.valLen]
		switch {
		case equalFold(name, "transfer-encoding"):
			te++
			if te > 1 || !equalFold(value, "chunked") {
				return fr, newErr(ErrTransferEncoding, "transfer-encoding", f.nameOff)
			}
			fr.chunked = true
		case equalFold(name, "content-length"):
			if fr.hasCL {
				return fr, newErr(ErrContentLength, "content-length (repeated)", f.nameOff)
			}
			n, ok := parseDecimal(value)
			if !ok {
				return fr, newErr(ErrContentLength, "content-length "+quote(string(value)), f.valOff)
			}
			fr.hasCL, fr.cl, fr.clValue = true, n, string(value)
		}
	}
	if fr.chunked && fr.hasCL {
		return fr, newErr(ErrTEAndCL, "header section", 0)
	}
	return fr, nil
}

// parseDecimal parses 1*DIGIT without overflow (values beyond 2^62 are
// rejected: no limit comes near).
func parseDecimal(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// connectionDrop returns the predicate that strips connection-specific
// fields (RFC 9113 §8.2.2 list plus those the Connection field names) and
// the framing fields the decoder consumed.
func (p *parser) connectionDrop(keepCL bool) func(name, value string) bool {
	var nominated []string
	for _, f := range p.spans {
		if equalFold(p.b[f.nameOff:f.nameOff+f.nameLen], "connection") {
			for _, tok := range strings.Split(string(p.b[f.valOff:f.valOff+f.valLen]), ",") {
				if tok = strings.ToLower(strings.Trim(tok, " \t")); tok != "" {
					nominated = append(nominated, tok)
				}
			}
		}
	}
	return func(name, value string) bool {
		switch name {
		case "connection", "keep-alive", "proxy-connection", "upgrade", "transfer-encoding":
			return true
		case "te":
			return value != "trailers"
		case "content-length":
			return !keepCL
		}
		for _, n := range nominated {
			if n == name {
				return true
			}
		}
		return false
	}
}
