package bhttp

import "sync"

// DecodeRequest decodes one request from b (all of b: bytes after the
// message must be zero padding).
//
// Aliasing: Body aliases b (its capacity is clipped, so appending to it
// copies); callers that reuse b must copy Body first. Every string (control
// data, field names and values) is a substring of one private copy of the
// header region (and one of the trailer region), never of b. Each call
// makes a constant number of allocations, whatever the number of fields.
func DecodeRequest(b []byte, lim Limits) (*Request, error) {
	d := getDecoder(b, lim)
	defer putDecoder(d)
	r := new(Request)
	if err := d.request(r); err != nil {
		return nil, err
	}
	return r, nil
}

// DecodeResponse decodes one response from b. Aliasing and allocations are
// as for DecodeRequest.
func DecodeResponse(b []byte, lim Limits) (*Response, error) {
	d := getDecoder(b, lim)
	defer putDecoder(d)
	r := new(Response)
	if err := d.response(r); err != nil {
		return nil, err
	}
	return r, nil
}

// decoder parses bytes held in memory: a whole message (DecodeXxx), or one
// element gathered by a stream reader. Field lines are first recorded as
// offsets (spans), then turned into substrings of a single string.
type decoder struct {
	lim   Limits
	b     []byte
	off   int
	base  int64 // offset of b[0] in the message
	spans []fieldSpan
	infos []infoSpan
	ninfo int // informational responses seen, for MaxInformational
}

type span struct{ off, n int }

type fieldSpan struct{ name, value span }

type infoSpan struct {
	status     int
	start, end int // indexes into spans
}

var decoderPool = sync.Pool{New: func() any { return new(decoder) }}

func getDecoder(b []byte, lim Limits) *decoder {
	d := decoderPool.Get().(*decoder)
	d.reset(b, 0, lim.resolved())
	return d
}

func putDecoder(d *decoder) {
	d.b = nil
	if cap(d.spans) > 4*DefaultMaxFields { // don't pin outsized scratch
		d.spans = nil
	}
	decoderPool.Put(d)
}

func (d *decoder) reset(b []byte, base int64, lim Limits) {
	d.lim, d.b, d.off, d.base = lim, b, 0, base
	d.spans, d.infos, d.ninfo = d.spans[:0], d.infos[:0], 0
}

func (d *decoder) errAt(err error, what string, off int) error {
	return newErr(err, what, d.base+int64(off))
}

func (d *decoder) atEnd() bool { return d.off == len(d.b) }

func (d *decoder) varint(what string) (uint64, error) {
	v, n := ConsumeVarint(d.b[d.off:])
	if n == 0 {
		return 0, d.errAt(ErrTruncated, what, d.off)
	}
	d.off += n
	return v, nil
}

// length reads a length prefix and checks it against max (failing with
// limit), then against the bytes left, in that order. Stream readers do the
// same checks in the same order before reading, so both report the same
// error for the same bytes.
func (d *decoder) length(what string, max int64, limit error) (int, error) {
	start := d.off
	v, err := d.varint(what)
	if err != nil {
		return 0, err
	}
	if v > uint64(max) {
		return 0, d.errAt(limit, what, start)
	}
	if v > uint64(len(d.b)-d.off) {
		return 0, d.errAt(ErrTruncated, what, start)
	}
	return int(v), nil
}

// framing reads the framing indicator and returns whether it is
// indeterminate-length.
func (d *decoder) framing(response bool) (indeterminate bool, err error) {
	v, err := d.varint("framing indicator")
	if err != nil {
		return false, err
	}
	switch {
	case v > 3:
		return false, d.errAt(ErrFramingIndicator, "framing indicator", 0)
	case (v&1 == 1) != response:
		what := "framing indicator (a response, not a request)"
		if response {
			what = "framing indicator (a request, not a response)"
		}
		return false, d.errAt(ErrFramingIndicator, what, 0)
	}
	return v >= 2, nil
}

func (d *decoder) control() (ctl [4]span, err error) {
	start := d.off
	for i, what := range [4]string{"method", "scheme", "authority", "path"} {
		n, err := d.length(what, int64(d.lim.MaxFieldLength), ErrFieldTooLong)
		if err != nil {
			return ctl, err
		}
		ctl[i] = span{d.off, n}
		d.off += n
	}
	b := func(s span) []byte { return d.b[s.off : s.off+s.n] }
	if what, err := checkControl(b(ctl[0]), b(ctl[1]), b(ctl[2]), b(ctl[3])); err != nil {
		return ctl, d.errAt(err, what, start)
	}
	return ctl, nil
}

// section parses a field section (absent, by truncation, at the end of the
// input) and returns the range of d.spans it added.
func (d *decoder) section(kind sectionKind, indeterminate bool) (start, end int, err error) {
	start = len(d.spans)
	if d.atEnd() {
		return start, start, nil
	}
	if indeterminate {
		err = d.lines(kind, len(d.b), true)
	} else {
		var n int
		n, err = d.length(kind.lengthWhat(), int64(d.lim.MaxFieldSectionSize), ErrFieldSectionTooLarge)
		if err == nil {
			err = d.lines(kind, d.off+n, false)
		}
	}
	return start, len(d.spans), err
}

// lines parses field lines up to end (known-length) or up to and including
// a zero Name Length (terminated, indeterminate-length).
func (d *decoder) lines(kind sectionKind, end int, terminated bool) error {
	st := fieldState{kind: kind}
	sectStart, count := d.off, 0
	short := ErrSectionOverrun
	if terminated {
		short = ErrTruncated
	}
	// field reads one length-prefixed name or value.
	field := func(what string) (span, error) {
		start := d.off
		v, n := ConsumeVarint(d.b[d.off:end])
		if n == 0 {
			return span{}, d.errAt(short, kind.String()+" "+what+" length", start)
		}
		d.off += n
		if v > uint64(d.lim.MaxFieldLength) {
			return span{}, d.errAt(ErrFieldTooLong, kind.String()+" "+what, start)
		}
		if terminated && uint64(d.off-sectStart)+v > uint64(d.lim.MaxFieldSectionSize) {
			return span{}, d.errAt(ErrFieldSectionTooLarge, kind.String(), start)
		}
		if v > uint64(end-d.off) {
			return span{}, d.errAt(short, kind.String()+" "+what, start)
		}
		s := span{d.off, int(v)}
		d.off += int(v)
		return s, nil
	}
	for terminated || d.off < end {
		lineStart := d.off
		nl, n := ConsumeVarint(d.b[d.off:end])
		switch {
		case n == 0:
			return d.errAt(short, kind.String()+" field line", lineStart)
		case nl == 0 && terminated:
			d.off += n
			return nil
		case nl == 0:
			return d.errAt(ErrEmptyFieldName, kind.String(), lineStart)
		}
		if count++; count > d.lim.MaxFields {
			return d.errAt(ErrTooManyFields, kind.String(), lineStart)
		}
		name, err := field("field name")
		if err != nil {
			return err
		}
		value, err := field("field value")
		if err != nil {
			return err
		}
		nb, vb := d.b[name.off:name.off+name.n], d.b[value.off:value.off+value.n]
		if inValue, err := checkField(&st, nb, vb); err != nil {
			at := name.off
			if inValue {
				at = value.off
			}
			return d.errAt(err, fieldWhat(kind, string(nb), inValue), at)
		}
		d.spans = append(d.spans, fieldSpan{name, value})
	}
	return nil
}

// content parses the content (absent, by truncation, at the end of the
// input). A known-length body, or an indeterminate one in a single chunk,
// aliases d.b.
func (d *decoder) content(indeterminate bool) ([]byte, error) {
	if d.atEnd() {
		return nil, nil
	}
	if !indeterminate {
		n, err := d.length("content length", d.lim.MaxBodySize, ErrBodyTooLarge)
		if err != nil || n == 0 {
			return nil, err
		}
		d.off += n
		return d.b[d.off-n : d.off : d.off], nil
	}
	var body []byte
	for {
		start := d.off
		v, err := d.varint("content chunk length")
		if err != nil {
			return nil, err
		}
		if v == 0 {
			return body, nil
		}
		if v > uint64(d.lim.MaxBodySize-int64(len(body))) {
			return nil, d.errAt(ErrBodyTooLarge, "content chunk", start)
		}
		if v > uint64(len(d.b)-d.off) {
			return nil, d.errAt(ErrTruncated, "content chunk", start)
		}
		chunk := d.b[d.off : d.off+int(v) : d.off+int(v)]
		d.off += int(v)
		if body == nil {
			body = chunk
		} else {
			body = append(body, chunk...) // cap is clipped: copies, never writes to d.b
		}
	}
}

// padding checks that the rest of the input is zero bytes, and returns its
// length.
func (d *decoder) padding() (int, error) {
	rest := d.b[d.off:]
	for i, c := range rest {
		if int64(i) >= d.lim.MaxPadding {
			return 0, d.errAt(ErrPaddingTooLong, "padding", d.off+i)
		}
		if c != 0 {
			return 0, d.errAt(ErrNonZeroPadding, "padding", d.off+i)
		}
	}
	d.off = len(d.b)
	return len(rest), nil
}

// fields turns d.spans[start:end] into dst using s, a copy of d.b[from:].
func (d *decoder) fields(dst Fields, start, end int, s string, from int) Fields {
	if start == end {
		return nil
	}
	dst = dst[: end-start : end-start]
	for i, sp := range d.spans[start:end] {
		dst[i] = Field{
			Name:  s[sp.name.off-from : sp.name.off-from+sp.name.n],
			Value: s[sp.value.off-from : sp.value.off-from+sp.value.n],
		}
	}
	return dst
}

func sub(s string, from int, sp span) string { return s[sp.off-from : sp.off-from+sp.n] }

func (d *decoder) request(r *Request) error {
	ind, err := d.framing(false)
	if err != nil {
		return err
	}
	ctl, err := d.control()
	if err != nil {
		return err
	}
	hs, he, err := d.section(headerSection, ind)
	if err != nil {
		return err
	}
	headEnd := d.off
	if r.Body, err = d.content(ind); err != nil {
		return err
	}
	trStart := d.off
	ts, te, err := d.section(trailerSection, ind)
	if err != nil {
		return err
	}
	trEnd := d.off
	if r.Padding, err = d.padding(); err != nil {
		return err
	}

	r.Indeterminate = ind
	s := string(d.b[:headEnd])
	r.Method, r.Scheme = sub(s, 0, ctl[0]), sub(s, 0, ctl[1])
	r.Authority, r.Path = sub(s, 0, ctl[2]), sub(s, 0, ctl[3])
	all := make(Fields, len(d.spans))
	r.Header = d.fields(all[hs:], hs, he, s, 0)
	if te > ts {
		r.Trailer = d.fields(all[ts:], ts, te, string(d.b[trStart:trEnd]), trStart)
	}
	return nil
}

func (d *decoder) response(r *Response) error {
	ind, err := d.framing(true)
	if err != nil {
		return err
	}
	status, err := d.statuses(ind)
	if err != nil {
		return err
	}
	hs, he, err := d.section(headerSection, ind)
	if err != nil {
		return err
	}
	headEnd := d.off
	if r.Body, err = d.content(ind); err != nil {
		return err
	}
	trStart := d.off
	ts, te, err := d.section(trailerSection, ind)
	if err != nil {
		return err
	}
	trEnd := d.off
	if r.Padding, err = d.padding(); err != nil {
		return err
	}

	r.Indeterminate, r.Status = ind, status
	s := string(d.b[:headEnd])
	all := make(Fields, len(d.spans))
	if len(d.infos) > 0 {
		r.Informational = make([]InfoResponse, len(d.infos))
		for i, in := range d.infos {
			r.Informational[i] = InfoResponse{Status: in.status, Header: d.fields(all[in.start:], in.start, in.end, s, 0)}
		}
	}
	r.Header = d.fields(all[hs:], hs, he, s, 0)
	if te > ts {
		r.Trailer = d.fields(all[ts:], ts, te, string(d.b[trStart:trEnd]), trStart)
	}
	return nil
}

// statuses reads informational responses (into d.infos) up to and
// including the final status code, which it returns.
func (d *decoder) statuses(indeterminate bool) (int, error) {
	for {
		status, done, err := d.status(indeterminate)
		if err != nil || done {
			return status, err
		}
	}
}

// status reads one status code; for an informational one, it also reads
// its header section into d.infos.
func (d *decoder) status(indeterminate bool) (status int, final bool, err error) {
	start := d.off
	v, err := d.varint("status code")
	if err != nil {
		return 0, false, err
	}
	switch {
	case isFinalStatus(v):
		return int(v), true, nil
	case !isInfoStatus(v):
		return 0, false, d.errAt(ErrStatus, "status code", start)
	case d.ninfo >= d.lim.MaxInformational:
		return 0, false, d.errAt(ErrTooManyInformational, "informational response", start)
	}
	s, e, err := d.section(infoSection, indeterminate)
	if err != nil {
		return 0, false, err
	}
	d.infos = append(d.infos, infoSpan{int(v), s, e})
	d.ninfo++
	return int(v), false, nil
}
