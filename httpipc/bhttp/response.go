package bhttp

// Response is a Binary HTTP response (RFC 9292 §3), with any informational
// (1xx) responses that preceded the final one.
type Response struct {
	// Indeterminate selects the indeterminate-length framing (indicator 3)
	// instead of the known-length one (indicator 1).
	Indeterminate bool

	// Informational holds the 1xx responses in order; nil when none.
	Informational []InfoResponse

	// Status is the final status code, 200..599. The reason phrase does
	// not exist in Binary HTTP.
	Status  int
	Header  Fields
	Body    []byte
	Trailer Fields

	// Padding is the number of zero bytes after the message.
	Padding int
}

// InfoResponse is one informational (1xx) response.
type InfoResponse struct {
	Status int // 100..199
	Header Fields
}

// AppendResponse appends the encoding of r to dst. Like AppendRequest it
// never truncates, and it returns dst unchanged and an *Error if r is
// invalid.
func AppendResponse(dst []byte, r *Response) ([]byte, error) {
	if err := r.Validate(); err != nil {
		return dst, err
	}
	ind := r.Indeterminate
	if ind {
		dst = append(dst, 3)
	} else {
		dst = append(dst, 1)
	}
	for _, in := range r.Informational {
		dst = AppendVarint(dst, uint64(in.Status))
		dst = appendSection(dst, in.Header, ind)
	}
	dst = AppendVarint(dst, uint64(r.Status))
	dst = appendSection(dst, r.Header, ind)
	dst = appendContent(dst, r.Body, ind)
	dst = appendSection(dst, r.Trailer, ind)
	return appendPadding(dst, r.Padding), nil
}

// Validate checks r against the rules AppendResponse enforces (status
// ranges and field lines; the body is not looked at) without encoding it.
// Errors are *Error values wrapping the sentinels.
func (r *Response) Validate() error {
	for _, in := range r.Informational {
		if in.Status < 100 || in.Status > 199 {
			return newErr(ErrStatus, "informational status", -1)
		}
		if err := validateFields(in.Header, infoSection); err != nil {
			return err
		}
	}
	if r.Status < 200 || r.Status > 599 {
		return newErr(ErrStatus, "final status", -1)
	}
	if err := validateFields(r.Header, headerSection); err != nil {
		return err
	}
	return validateFields(r.Trailer, trailerSection)
}
