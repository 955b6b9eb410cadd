package bhttp

// Request is a Binary HTTP request (RFC 9292 §3).
//
// A Request returned by a decoder keeps every field line in wire order,
// so AppendRequest re-encodes it to the same bytes (up to varint
// minimality, content chunking and truncation, which the decoder does
// not record).
type Request struct {
	// Indeterminate selects the indeterminate-length framing (indicator 2)
	// instead of the known-length one (indicator 0).
	Indeterminate bool

	// Control data. Authority may be empty; the RFC example then carries a
	// "host" header field instead.
	Method, Scheme, Authority, Path string

	Header Fields
	// Body is the content. Decoders leave it nil when empty; see
	// DecodeRequest for aliasing.
	Body    []byte
	Trailer Fields

	// Padding is the number of zero bytes after the message.
	Padding int
}

// AppendRequest appends the encoding of r to dst. It never truncates: every
// section and the content are written, empty or not. It returns dst
// unchanged and an *Error if r is not a valid message.
func AppendRequest(dst []byte, r *Request) ([]byte, error) {
	if err := r.Validate(); err != nil {
		return dst, err
	}
	ind := r.Indeterminate
	if ind {
		dst = append(dst, 2)
	} else {
		dst = append(dst, 0)
	}
	dst = appendString(dst, r.Method)
	dst = appendString(dst, r.Scheme)
	dst = appendString(dst, r.Authority)
	dst = appendString(dst, r.Path)
	dst = appendSection(dst, r.Header, ind)
	dst = appendContent(dst, r.Body, ind)
	dst = appendSection(dst, r.Trailer, ind)
	return appendPadding(dst, r.Padding), nil
}

// Validate checks r against the rules AppendRequest enforces (control
// data and field lines; the body is not looked at) without encoding it.
// Errors are *Error values wrapping the sentinels.
func (r *Request) Validate() error {
	if what, err := checkControl(r.Method, r.Scheme, r.Authority, r.Path); err != nil {
		return newErr(err, what, -1)
	}
	if err := validateFields(r.Header, headerSection); err != nil {
		return err
	}
	return validateFields(r.Trailer, trailerSection)
}

func appendString(dst []byte, s string) []byte {
	return append(AppendVarint(dst, uint64(len(s))), s...)
}

func appendContent(dst, body []byte, indeterminate bool) []byte {
	if !indeterminate {
		return append(AppendVarint(dst, uint64(len(body))), body...)
	}
	if len(body) > 0 {
		dst = append(AppendVarint(dst, uint64(len(body))), body...)
	}
	return append(dst, 0)
}

func appendPadding(dst []byte, n int) []byte {
	for ; n > 0; n-- {
		dst = append(dst, 0)
	}
	return dst
}
