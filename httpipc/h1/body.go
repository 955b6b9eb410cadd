package h1

import "github.com/appwire/appwire/httpipc/bhttp"

// body reads the content that fr announces. For untilEnd (a response with
// neither header) the rest of the message is the body: the end of a
// message is the only "close" a message channel has. The result aliases
// b when it is one piece (capacity clipped); nil when empty.
func (p *parser) body(fr framing, untilEnd bool) ([]byte, bhttp.Fields, error) {
	switch {
	case fr.chunked:
		return p.chunked()
	case fr.hasCL:
		if fr.cl > int64(p.lim.MaxBodySize) {
			return nil, nil, newErr(ErrBodyTooLarge, "content-length", p.off)
		}
		if fr.cl > int64(len(p.b)-p.off) {
			return nil, nil, newErr(ErrTruncated, "body", p.off)
		}
		return p.take(int(fr.cl)), nil, nil
	case untilEnd:
		if n := len(p.b) - p.off; n > p.lim.MaxBodySize {
			return nil, nil, newErr(ErrBodyTooLarge, "body", p.off)
		}
		return p.take(len(p.b) - p.off), nil, nil
	}
	return nil, nil, nil
}

func (p *parser) take(n int) []byte {
	if n == 0 {
		return nil
	}
	b := p.b[p.off : p.off+n : p.off+n]
	p.off += n
	return b
}

// chunked reads a chunked body and its trailer section (RFC 9112 §7.1),
// without chunk extensions.
func (p *parser) chunked() ([]byte, bhttp.Fields, error) {
	var body []byte
	pieces := 0
	for {
		at := p.off
		// A chunk-size line is bounded like a head line.
		l, err := p.line("chunk size", at)
		if err != nil {
			return nil, nil, err
		}
		n, err := chunkSize(l, at)
		if err != nil {
			return nil, nil, err
		}
		if n == 0 {
			break
		}
		if n > int64(p.lim.MaxBodySize-len(body)) {
			return nil, nil, newErr(ErrBodyTooLarge, "chunk", at)
		}
		if n > int64(len(p.b)-p.off) {
			return nil, nil, newErr(ErrTruncated, "chunk data", p.off)
		}
		data := p.take(int(n))
		switch pieces++; pieces {
		case 1:
			body = data // alias while there is one piece
		case 2:
			body = append(append(make([]byte, 0, 2*(len(body)+len(data))), body...), data...)
		default:
			body = append(body, data...)
		}
		switch {
		case len(p.b)-p.off < 2:
			return nil, nil, newErr(ErrTruncated, "chunk data", p.off)
		case p.b[p.off] != '\r' || p.b[p.off+1] != '\n':
			return nil, nil, newErr(ErrChunkData, "chunk data", p.off)
		}
		p.off += 2
	}
	start := p.off
	if err := p.fields("trailer section", start); err != nil {
		return nil, nil, err
	}
	for _, f := range p.spans {
		if forbiddenTrailer(p.b[f.nameOff : f.nameOff+f.nameLen]) {
			return nil, nil, newErr(ErrTrailerField, "trailer field "+quote(string(p.b[f.nameOff:f.nameOff+f.nameLen])), f.nameOff)
		}
	}
	return body, p.materialize(nil), nil
}

func chunkSize(l []byte, at int) (int64, error) {
	if len(l) == 0 {
		return 0, newErr(ErrChunkSize, "chunk size", at)
	}
	var n int64
	for i, c := range l {
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		case c == ';':
			return 0, newErr(ErrChunkExtension, "chunk", at+i)
		default:
			return 0, newErr(ErrChunkSize, "chunk size", at)
		}
		if n > (1<<59)-1 {
			return 0, newErr(ErrChunkSize, "chunk size (overflow)", at)
		}
		n = n<<4 | int64(d)
	}
	return n, nil
}

func forbiddenTrailer[T ~string | ~[]byte](name T) bool {
	for _, f := range [...]string{"content-length", "transfer-encoding", "host", "trailer",
		"connection", "keep-alive", "proxy-connection", "upgrade", "te"} {
		if equalFold(name, f) {
			return true
		}
	}
	return false
}
