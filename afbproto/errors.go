package afbproto

import (
	"errors"
	"strconv"
)

// Sentinel errors of the wire layer. Parsers return them wrapped in a
// *ParseError; match them with errors.Is.
var (
	// ErrMalformedFrame: the text is not a top-level array whose elements
	// are separated by commas with only spaces around them, or a string or
	// bracket is left open.
	ErrMalformedFrame = errors.New("afbproto: malformed frame")

	// ErrFrameType: the first element is not exactly one character 2-5.
	ErrFrameType = errors.New("afbproto: bad frame type")

	// ErrElementCount: a call has other than 4 or 5 elements, a reply
	// other than 3 or 4, an event other than 3, or the array has more than
	// 10 elements.
	ErrElementCount = errors.New("afbproto: wrong number of elements")

	// ErrBadMethod: the "api/verb" element has no '/', an empty verb, or a
	// verb that starts with '/'.
	ErrBadMethod = errors.New("afbproto: bad api/verb")

	// ErrMalformedJSON: a JSON value (reply, event, their frame elements)
	// is not valid JSON or not an object.
	ErrMalformedJSON = errors.New("afbproto: malformed JSON")

	// ErrNotReply: a JSON object is not an afb-reply (wrong or missing
	// jtype, request or status).
	ErrNotReply = errors.New("afbproto: not an afb-reply")

	// ErrNotEvent: a JSON object is not an afb-event (wrong or missing
	// jtype or event name).
	ErrNotEvent = errors.New("afbproto: not an afb-event")

	// ErrUnsafeText: an ID, token or name taken textually from a frame
	// would not make a valid JSON string when echoed. Upstream echoes it
	// anyway and emits broken JSON; see Frame.Validate.
	ErrUnsafeText = errors.New("afbproto: text element is not a valid JSON string body")
)

// ParseError is the error of every parser of this package. It wraps one of
// the sentinel errors above and says where and what.
type ParseError struct {
	Err    error  // a sentinel: ErrMalformedFrame, ErrFrameType, ...
	Offset int    // byte offset in the input where the problem was seen
	What   string // detail for humans
}

func (e *ParseError) Error() string {
	return e.Err.Error() + ": " + e.What + " (offset " + strconv.Itoa(e.Offset) + ")"
}

// Unwrap returns the sentinel.
func (e *ParseError) Unwrap() error { return e.Err }

func perr(err error, off int, what string) error {
	return &ParseError{Err: err, Offset: off, What: what}
}
