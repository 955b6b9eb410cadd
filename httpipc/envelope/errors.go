package envelope

import (
	"errors"
	"strconv"
	"strings"

	"github.com/appwire/appwire/httpipc/bhttp"
)

// Error is the error type of this package. Err is one of the Err…
// sentinels below, or a *bhttp.Error when a field or control-data rule
// shared with Binary HTTP is broken (so errors.Is(err, bhttp.ErrFieldValue)
// works on an envelope error):
//
//	var e *envelope.Error
//	if errors.As(err, &e) && errors.Is(err, envelope.ErrTruncated) { … e.Offset … }
type Error struct {
	// Err is the sentinel naming the rule or limit.
	Err error
	// What names the element at fault, e.g. "header section" or "body".
	What string
	// Offset is the byte offset in the message where the faulty element
	// starts, or -1 when the error does not come from decoding bytes.
	Offset int64
}

func (e *Error) Error() string {
	var sb strings.Builder
	sb.WriteString("envelope: ")
	if e.What != "" {
		sb.WriteString(e.What)
		sb.WriteString(": ")
	}
	msg := e.Err.Error()
	msg = strings.TrimPrefix(msg, "envelope: ")
	msg = strings.TrimPrefix(msg, "bhttp: ")
	sb.WriteString(msg)
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

// Schema rules. A message failing one of them is invalid.
var (
	// ErrType: an element has the wrong msgpack type (e.g. a map where an
	// array is expected, nil, a str where the body's bin is expected, a
	// negative or non-integer number).
	ErrType = errors.New("envelope: wrong msgpack type")
	// ErrSchema: an array has too few elements (a message or an
	// informational response), or a field is not a [name, value] pair.
	ErrSchema = errors.New("envelope: wrong number of elements")
	// ErrVersion: the version element is not 1.
	ErrVersion = errors.New("envelope: unsupported version")
	// ErrTruncated: the input ends inside an element.
	ErrTruncated = errors.New("envelope: truncated message")
	// ErrTrailingData: bytes follow the message's top-level array.
	ErrTrailingData = errors.New("envelope: data after the message")
	// ErrNesting: an extension element nests arrays or maps deeper than
	// MaxExtensionDepth.
	ErrNesting = errors.New("envelope: extension nested too deeply")
	// ErrPseudoField: a field name starts with ':'. Control data has its
	// own elements; pseudo-fields have no place in an envelope.
	ErrPseudoField = errors.New("envelope: pseudo-field")
	// ErrConnectionField: a connection-specific field (connection,
	// keep-alive, proxy-connection, transfer-encoding, upgrade, or te
	// other than "trailers"; RFC 9113 §8.2.2) is present. Decoders and
	// AppendRequest/AppendResponse reject them; the net/http mapping
	// strips them.
	ErrConnectionField = errors.New("envelope: connection-specific field")
)

// ErrLimit matches (errors.Is) every error caused by exceeding a Limits
// field. bhttp.ErrLimit matches them too, so a transport can answer
// 413/431 for either codec with one test.
var ErrLimit = errors.New("envelope: limit exceeded")

type limitError struct{ msg string }

func (e *limitError) Error() string { return e.msg }
func (e *limitError) Is(target error) bool {
	return target == ErrLimit || target == bhttp.ErrLimit
}

// Limits exceeded (see Limits). Each also matches ErrLimit and bhttp.ErrLimit.
var (
	ErrFieldSectionTooLarge = error(&limitError{"envelope: field section too large"})
	ErrTooManyFields        = error(&limitError{"envelope: too many fields"})
	ErrFieldTooLong         = error(&limitError{"envelope: field or control data too long"})
	ErrBodyTooLarge         = error(&limitError{"envelope: body too large"})
	ErrTooManyInformational = error(&limitError{"envelope: too many informational responses"})
)
