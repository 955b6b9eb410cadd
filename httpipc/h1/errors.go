package h1

import (
	"errors"
	"strconv"
	"strings"

	"github.com/appwire/appwire/httpipc/bhttp"
)

// Error is the error type of this package's codec. It wraps one of the
// Err… sentinels below (errors.Is), and says where (errors.As):
//
//	var e *h1.Error
//	if errors.As(err, &e) && errors.Is(err, h1.ErrBareLF) { … e.Offset … }
type Error struct {
	// Err is the sentinel naming the rule or limit.
	Err error
	// What names the element at fault, e.g. "request line" or
	// `field "content-length"`.
	What string
	// Offset is the byte offset in the message where the faulty element
	// starts, or -1 when the error does not come from decoding bytes.
	Offset int64
}

func (e *Error) Error() string {
	var sb strings.Builder
	sb.WriteString("h1: ")
	if e.What != "" {
		sb.WriteString(e.What)
		sb.WriteString(": ")
	}
	msg := strings.TrimPrefix(e.Err.Error(), "h1: ")
	sb.WriteString(strings.TrimPrefix(msg, "bhttp: "))
	if e.Offset >= 0 {
		sb.WriteString(" at offset ")
		sb.WriteString(strconv.FormatInt(e.Offset, 10))
	}
	return sb.String()
}

func (e *Error) Unwrap() error { return e.Err }

func newErr(err error, what string, off int) *Error {
	return &Error{Err: err, What: what, Offset: int64(off)}
}

// Syntax and framing rules (RFC 9112) that decoders enforce. Encoders
// refuse to write what decoders reject, with the same sentinels.
var (
	// ErrBareCR: a CR not followed by LF (RFC 9112 §2.2).
	ErrBareCR = errors.New("h1: bare CR")
	// ErrBareLF: an LF not preceded by CR. RFC 9112 §2.2 lets a recipient
	// accept it; this codec does not, as two parsers that disagree on line
	// ends disagree on where a header ends.
	ErrBareLF = errors.New("h1: bare LF")
	// ErrNUL: a NUL byte in the start line or a field line.
	ErrNUL = errors.New("h1: NUL byte")
	// ErrObsFold: a field line starts with SP or HTAB (obs-fold, §5.2).
	ErrObsFold = errors.New("h1: obsolete line folding")
	// ErrStartLine: the request or status line does not have its three
	// parts separated by single spaces, or the reason phrase holds a
	// control character.
	ErrStartLine = errors.New("h1: malformed start line")
	// ErrVersion: the version is not HTTP/1.1.
	ErrVersion = errors.New("h1: unsupported HTTP version")
	// ErrMethod: the method is not a token.
	ErrMethod = errors.New("h1: invalid method")
	// ErrTarget: the request-target is not origin-form, absolute-form
	// (http or https), authority-form (CONNECT only) or "*" (OPTIONS
	// only), or holds a byte outside visible ASCII, or '#'.
	ErrTarget = errors.New("h1: invalid request target")
	// ErrHost: a request has no Host field or more than one (RFC 9112
	// §3.2), its value is not an authority, or it disagrees with an
	// absolute-form target.
	ErrHost = errors.New("h1: invalid or missing host")
	// ErrStatus: the status code is not three digits in 100..599, or is
	// 101 (there is no protocol to switch to on a message channel).
	ErrStatus = errors.New("h1: invalid status code")
	// ErrFieldName: a field line has no colon, an empty name, a name that
	// is not a token, or whitespace before the colon (RFC 9112 §5.1).
	ErrFieldName = errors.New("h1: invalid field name")
	// ErrFieldValue: a field value holds a control character other than
	// HTAB (RFC 9110 §5.5), or (encoding) starts or ends with SP/HTAB.
	ErrFieldValue = errors.New("h1: invalid field value")
	// ErrTEAndCL: both Transfer-Encoding and Content-Length (RFC 9112
	// §6.3: a smuggling signal).
	ErrTEAndCL = errors.New("h1: both transfer-encoding and content-length")
	// ErrTransferEncoding: Transfer-Encoding is anything but one field
	// whose value is "chunked".
	ErrTransferEncoding = errors.New("h1: unsupported transfer-encoding")
	// ErrContentLength: Content-Length is not 1*DIGIT, is repeated (even
	// with equal values) or is a list, or (encoding) disagrees with the body.
	ErrContentLength = errors.New("h1: invalid content-length")
	// ErrChunkSize: a chunk-size line is not 1*HEXDIG or overflows.
	ErrChunkSize = errors.New("h1: invalid chunk size")
	// ErrChunkExtension: a chunk carries an extension (';'). They have no
	// use on a message channel and are a known parser-disagreement vector.
	ErrChunkExtension = errors.New("h1: chunk extension")
	// ErrChunkData: chunk data is not followed by CRLF.
	ErrChunkData = errors.New("h1: chunk data not followed by CRLF")
	// ErrTrailerField: a trailer field that framing or routing depends on
	// (content-length, transfer-encoding, host, trailer, or a
	// connection-specific field).
	ErrTrailerField = errors.New("h1: forbidden trailer field")
	// ErrTruncated: the message ends before its header section, body or
	// last chunk does.
	ErrTruncated = errors.New("h1: truncated message")
	// ErrTrailingData: bytes follow the end of the message (a second,
	// smuggled message, or a body on a message that cannot have one).
	ErrTrailingData = errors.New("h1: data after the message")
	// ErrFramingField: (encoding) the fields hold content-length or
	// transfer-encoding, which the encoder writes itself, or a
	// connection-specific field.
	ErrFramingField = errors.New("h1: framing or connection-specific field")
	// ErrBodyNotAllowed: (encoding) a 1xx, 204 or 304 response with a body
	// or trailers.
	ErrBodyNotAllowed = errors.New("h1: body not allowed")
)

// ErrLimit matches (errors.Is) every error caused by exceeding a Limits
// field; bhttp.ErrLimit matches them too.
var ErrLimit = errors.New("h1: limit exceeded")

type limitError struct{ msg string }

func (e *limitError) Error() string { return e.msg }
func (e *limitError) Is(target error) bool {
	return target == ErrLimit || target == bhttp.ErrLimit
}

// Limits exceeded (see Limits). Each also matches ErrLimit.
var (
	ErrHeaderTooLarge       = error(&limitError{"h1: header section too large"})
	ErrTooManyFields        = error(&limitError{"h1: too many fields"})
	ErrFieldTooLong         = error(&limitError{"h1: field, target or reason too long"})
	ErrBodyTooLarge         = error(&limitError{"h1: body too large"})
	ErrTooManyInformational = error(&limitError{"h1: too many informational responses"})
)
