package envelope

import "github.com/appwire/appwire/httpipc/bhttp"

// DecodeRequest decodes one request envelope: all of b, which must hold
// exactly one top-level msgpack array. It applies lim (zero fields mean
// the defaults), the envelope schema, and the same field and control-data
// rules as AppendRequest. Every error is an *Error.
//
// Aliasing: Body aliases b (capacity clipped); every string is a substring
// of one private copy of the text elements, never of b.
func DecodeRequest(b []byte, lim Limits) (*bhttp.Request, error) {
	r := newReader(b, lim)
	defer r.release()
	n, err := r.top("request", requestLen)
	if err != nil {
		return nil, err
	}
	for _, what := range [...]string{"method", "scheme", "authority", "path"} {
		if err := r.text(what); err != nil {
			return nil, err
		}
	}
	header, err := r.section(headerNames)
	if err != nil {
		return nil, err
	}
	body, err := r.body()
	if err != nil {
		return nil, err
	}
	trailer, err := r.section(trailerNames)
	if err != nil {
		return nil, err
	}
	if err := r.end("request", n-requestLen); err != nil {
		return nil, err
	}
	t := r.texts()
	req := &bhttp.Request{Method: t.next(), Scheme: t.next(), Authority: t.next(), Path: t.next()}
	req.Header = t.fields(header)
	req.Body = body
	req.Trailer = t.fields(trailer)
	if err := checkRequest(req); err != nil {
		return nil, err
	}
	return req, nil
}

// DecodeResponse decodes one response envelope, with its informational
// responses. Limits, errors and aliasing are as for DecodeRequest.
func DecodeResponse(b []byte, lim Limits) (*bhttp.Response, error) {
	r := newReader(b, lim)
	defer r.release()
	n, err := r.top("response", responseLen)
	if err != nil {
		return nil, err
	}
	at := r.off()
	status, err := r.uint("status")
	if err != nil {
		return nil, err
	}
	if status < 200 || status > 599 {
		return nil, newErr(bhttp.ErrStatus, "final status", at)
	}
	ni, err := r.arrayLen("informational responses", r.lim.MaxInformational, ErrTooManyInformational)
	if err != nil {
		return nil, err
	}
	var infoStatus []int
	var infoFields []fieldSpans
	if ni > 0 {
		infoStatus, infoFields = make([]int, ni), make([]fieldSpans, ni)
	}
	for i := 0; i < ni; i++ {
		at := r.off()
		m, err := r.arrayLen("informational response", 0, nil)
		if err != nil {
			return nil, err
		}
		if m < infoLen {
			return nil, newErr(ErrSchema, "informational response", at)
		}
		at = r.off()
		s, err := r.uint("informational status")
		if err != nil {
			return nil, err
		}
		if s < 100 || s > 199 {
			return nil, newErr(bhttp.ErrStatus, "informational status", at)
		}
		infoStatus[i] = int(s)
		if infoFields[i], err = r.section(infoNames); err != nil {
			return nil, err
		}
		if err := r.extensions("informational response", m-infoLen); err != nil {
			return nil, err
		}
	}
	header, err := r.section(headerNames)
	if err != nil {
		return nil, err
	}
	body, err := r.body()
	if err != nil {
		return nil, err
	}
	trailer, err := r.section(trailerNames)
	if err != nil {
		return nil, err
	}
	if err := r.end("response", n-responseLen); err != nil {
		return nil, err
	}
	t := r.texts()
	resp := &bhttp.Response{Status: int(status)}
	if ni > 0 {
		resp.Informational = make([]bhttp.InfoResponse, ni)
		for i := range resp.Informational {
			resp.Informational[i] = bhttp.InfoResponse{Status: infoStatus[i], Header: t.fields(infoFields[i])}
		}
	}
	resp.Header = t.fields(header)
	resp.Body = body
	resp.Trailer = t.fields(trailer)
	if err := checkResponse(resp); err != nil {
		return nil, err
	}
	return resp, nil
}

// top reads the top-level array header and the version, and returns the
// number of elements.
func (r *reader) top(what string, want int) (int, error) {
	n, err := r.arrayLen(what, 0, nil)
	if err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, newErr(ErrSchema, what, 0)
	}
	at := r.off()
	v, err := r.uint("version")
	if err != nil {
		return 0, err
	}
	if v != Version {
		return 0, newErr(ErrVersion, "version", at)
	}
	if n < want {
		return 0, newErr(ErrSchema, what, 0)
	}
	return n, nil
}

// end skips the extension elements and rejects anything after the array.
func (r *reader) end(what string, extra int) error {
	if err := r.extensions(what, extra); err != nil {
		return err
	}
	if r.br.Len() != 0 {
		return newErr(ErrTrailingData, what, r.off())
	}
	return nil
}
