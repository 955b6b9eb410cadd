package bhttp

import (
	"errors"
	"strconv"
	"strings"
)

// Error is the error type of this package. It wraps one of the Err…
// sentinels below, so callers test the cause with errors.Is and read the
// location with errors.As:
//
//	var e *bhttp.Error
//	if errors.As(err, &e) && errors.Is(err, bhttp.ErrTruncated) { … e.Offset … }
type Error struct {
	// Err is the sentinel naming the rule or limit, e.g. ErrFieldValue.
	Err error
	// What names the part of the message at fault, e.g. "header section"
	// or `field value of "x-a"`.
	What string
	// Offset is the byte offset from the start of the message where the
	// faulty element starts, or -1 when the error does not come from
	// decoding bytes (encoding or mapping to net/http).
	Offset int64
}

func (e *Error) Error() string {
	var sb strings.Builder
	sb.WriteString("bhttp: ")
	sb.WriteString(e.What)
	sb.WriteString(": ")
	sb.WriteString(strings.TrimPrefix(e.Err.Error(), "bhttp: "))
	if e.Offset >= 0 {
		sb.WriteString(" at offset ")
		sb.WriteString(strconv.FormatInt(e.Offset, 10))
	}
	return sb.String()
}

func (e *Error) Unwrap() error { return e.Err }

func newErr(err error, what string, off int64) *Error {
	return &Error{Err: err, What: what, Offset: off}
}

// Wire rules (RFC 9292). A message failing one of them is invalid (§4).
var (
	// ErrFramingIndicator: the framing indicator is not 0..3, or is a
	// response indicator where a request is expected (or the reverse).
	ErrFramingIndicator = errors.New("bhttp: invalid framing indicator")
	// ErrTruncated: the message ends inside an element, or where RFC 9292
	// §3.1/§3.2 does not allow truncation (e.g. before the control data).
	ErrTruncated = errors.New("bhttp: truncated message")
	// ErrNonZeroPadding: a byte after the trailer section is not zero (§3.8).
	ErrNonZeroPadding = errors.New("bhttp: non-zero padding")
	// ErrSectionOverrun: a field line crosses the end of its known-length
	// field section.
	ErrSectionOverrun = errors.New("bhttp: field line overruns its section")
	// ErrEmptyFieldName: a field line has Name Length 0 (§3.6 requires 1..).
	ErrEmptyFieldName = errors.New("bhttp: empty field name")
	// ErrFieldName: a field name holds a byte that is not a lowercase
	// RFC 9110 token character (RFC 9113 §8.2.1).
	ErrFieldName = errors.New("bhttp: invalid field name")
	// ErrFieldValue: a field value holds NUL, CR or LF, or starts or ends
	// with SP or HTAB (RFC 9113 §8.2.1).
	ErrFieldValue = errors.New("bhttp: invalid field value")
	// ErrReservedPseudoField: a field is named :method, :scheme,
	// :authority, :path or :status (RFC 9292 §6).
	ErrReservedPseudoField = errors.New("bhttp: reserved pseudo-field")
	// ErrPseudoFieldOrder: a pseudo-field follows a regular field (§6).
	ErrPseudoFieldOrder = errors.New("bhttp: pseudo-field after a regular field")
	// ErrPseudoFieldInTrailer: a pseudo-field appears in a trailer section.
	ErrPseudoFieldInTrailer = errors.New("bhttp: pseudo-field in trailer section")
	// ErrStatus: a status code is outside 100..599 (§3.5).
	ErrStatus = errors.New("bhttp: invalid status code")
	// ErrMethod: the method is empty or not a token (RFC 9113 §8.3.1).
	ErrMethod = errors.New("bhttp: invalid method")
	// ErrScheme: the scheme is not a URI scheme, or empty outside CONNECT.
	ErrScheme = errors.New("bhttp: invalid scheme")
	// ErrAuthority: the authority holds a control, space, non-ASCII byte,
	// '/', '?' or '#', or userinfo for http/https.
	ErrAuthority = errors.New("bhttp: invalid authority")
	// ErrPath: the path holds a control, space, non-ASCII byte or '#', is
	// empty outside CONNECT, or (http/https) does not start with '/' and
	// is not "*".
	ErrPath = errors.New("bhttp: invalid path")
)

// ErrLimit matches (errors.Is) every error caused by exceeding a Limits
// field, so a transport can answer 413/431 or reset the stream without
// listing each one.
var ErrLimit = errors.New("bhttp: limit exceeded")

type limitError struct{ msg string }

func (e *limitError) Error() string        { return e.msg }
func (e *limitError) Is(target error) bool { return target == ErrLimit }

// Limits exceeded (see Limits). Each also matches ErrLimit.
var (
	ErrFieldSectionTooLarge = error(&limitError{"bhttp: field section too large"})
	ErrTooManyFields        = error(&limitError{"bhttp: too many field lines"})
	ErrFieldTooLong         = error(&limitError{"bhttp: field or control data too long"})
	ErrBodyTooLarge         = error(&limitError{"bhttp: content too large"})
	ErrTooManyInformational = error(&limitError{"bhttp: too many informational responses"})
	ErrPaddingTooLong       = error(&limitError{"bhttp: padding too long"})
)
