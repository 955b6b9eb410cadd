package httpipc

import (
	"errors"
	"strconv"
	"strings"
)

// ErrCode is the error code carried by RESET and GOAWAY frames.
type ErrCode uint64

// Error codes. REFUSED_STREAM tells the sender that the stream was not
// processed at all, so the request may be retried.
const (
	ErrCodeNo               ErrCode = 0x0 // NO_ERROR: graceful end
	ErrCodeProtocol         ErrCode = 0x1 // PROTOCOL: a rule of the frame layer was broken
	ErrCodeInternal         ErrCode = 0x2 // INTERNAL: the endpoint failed (e.g. handler panic after the head)
	ErrCodeCancel           ErrCode = 0x3 // CANCEL: the stream is no longer wanted
	ErrCodeRefusedStream    ErrCode = 0x4 // REFUSED_STREAM: not processed; safe to retry
	ErrCodeFrameSize        ErrCode = 0x5 // FRAME_SIZE: a frame exceeded max_frame_size
	ErrCodeHeaderLimit      ErrCode = 0x6 // HEADER_LIMIT: a header or trailer section exceeded a limit
	ErrCodeMessageTooLarge  ErrCode = 0x7 // MESSAGE_TOO_LARGE: the content exceeded a limit
	ErrCodeTimeout          ErrCode = 0x8 // TIMEOUT: the peer did not answer a PING in time
	ErrCodeUnauthorizedPeer ErrCode = 0x9 // UNAUTHORIZED_PEER: the peer failed an identity check
)

var errCodeNames = [...]string{
	"NO_ERROR", "PROTOCOL", "INTERNAL", "CANCEL", "REFUSED_STREAM",
	"FRAME_SIZE", "HEADER_LIMIT", "MESSAGE_TOO_LARGE", "TIMEOUT", "UNAUTHORIZED_PEER",
}

func (c ErrCode) String() string {
	if c < ErrCode(len(errCodeNames)) {
		return errCodeNames[c]
	}
	return "ERR_CODE_0x" + strconv.FormatUint(uint64(c), 16)
}

// Sentinels. Every error this package returns that is caused by one of
// these conditions matches it with errors.Is; the scope (connection or
// stream) and the wire code come from errors.As with *ConnectionError or
// *StreamError, or from ErrorCode.
var (
	// ErrPeerGone: the connection was lost (EOF, reset, closed carrier,
	// PING timeout) while the stream was open.
	ErrPeerGone = errors.New("httpipc: peer gone")
	// ErrClosed: the Transport, Server or connection was closed locally.
	ErrClosed = errors.New("httpipc: closed")
	// ErrServerClosed is returned by Serve after Shutdown or Close.
	ErrServerClosed = errors.New("httpipc: server closed")
	// ErrTooManyStreams: all max_concurrent_streams streams are in use and
	// Transport.FailFast is set.
	ErrTooManyStreams = errors.New("httpipc: too many concurrent streams")
	// ErrStreamRefused: the peer did not process the stream (RESET
	// REFUSED_STREAM, or a stream above the last id of a GOAWAY). The
	// request may be retried; Transport does so when the body allows it.
	ErrStreamRefused = errors.New("httpipc: stream refused by peer; safe to retry")
	// ErrMessageTooLarge: a message's content exceeded a limit.
	ErrMessageTooLarge = errors.New("httpipc: message too large")
	// ErrHeaderLimit: a header or trailer section exceeded a limit.
	ErrHeaderLimit = errors.New("httpipc: header section too large")

	// Frame-layer rules. Each is a connection error.

	// ErrFrameTooLarge: a frame's Length exceeds the max_frame_size the
	// receiver announced (FRAME_SIZE).
	ErrFrameTooLarge = errors.New("httpipc: frame too large")
	// ErrFrameTruncated: a message holds less than one frame.
	ErrFrameTruncated = errors.New("httpipc: frame truncated")
	// ErrFrameTrailingBytes: a message holds bytes after its frame.
	ErrFrameTrailingBytes = errors.New("httpipc: bytes after frame in message")
	// ErrFrameStreamID: a connection-level frame on a stream, or a stream
	// frame on stream 0.
	ErrFrameStreamID = errors.New("httpipc: frame on wrong stream id")
	// ErrFramePayload: the payload does not have the layout of its type.
	ErrFramePayload = errors.New("httpipc: malformed frame payload")
	// ErrHandshake: HELLO missing, repeated, with an unsupported version
	// or an invalid setting.
	ErrHandshake = errors.New("httpipc: bad HELLO")
	// ErrStreamID: a stream id of the wrong parity, one that was never
	// opened, or a new id not above the previous one.
	ErrStreamID = errors.New("httpipc: invalid stream id")
	// ErrFlowControl: the peer sent more DATA than it had credit for, sent
	// DATA after END_STREAM, or a CREDIT pushed a window above 2^62-1.
	ErrFlowControl = errors.New("httpipc: flow control violated")
	// ErrControlFlood: the peer provoked more queued control frames (PING
	// acks, RESETs) than the limit while not reading them.
	ErrControlFlood = errors.New("httpipc: too many queued control frames")
)

// ConnectionError ends a whole connection. A GOAWAY with Code is sent to
// the peer (or was received from it, when Remote is set).
type ConnectionError struct {
	Code ErrCode
	// Remote is set when the peer reported the error in a GOAWAY.
	Remote bool
	// Reason is the GOAWAY reason text when Remote.
	Reason string
	// Err is the cause, wrapping one of the sentinels.
	Err error
}

func (e *ConnectionError) Error() string {
	var sb strings.Builder
	sb.WriteString("httpipc: connection error ")
	sb.WriteString(e.Code.String())
	if e.Remote {
		sb.WriteString(" from peer")
		if e.Reason != "" {
			sb.WriteString(": " + strconv.Quote(e.Reason))
		}
	}
	if e.Err != nil {
		sb.WriteString(": ")
		sb.WriteString(strings.TrimPrefix(e.Err.Error(), "httpipc: "))
	}
	return sb.String()
}

func (e *ConnectionError) Unwrap() error { return e.Err }

// StreamError ends one stream; the connection and its other streams go on.
type StreamError struct {
	StreamID uint64
	Code     ErrCode
	// Remote is set when the peer sent the RESET.
	Remote bool
	// Reason is the RESET reason text when Remote.
	Reason string
	// Cause is what made the stream fail (a sentinel, a context error, a
	// request body error); nil when Remote.
	Cause error
}

func (e *StreamError) Error() string {
	var sb strings.Builder
	sb.WriteString("httpipc: stream ")
	sb.WriteString(strconv.FormatUint(e.StreamID, 10))
	sb.WriteString(" reset ")
	sb.WriteString(e.Code.String())
	if e.Remote {
		sb.WriteString(" by peer")
		if e.Reason != "" {
			sb.WriteString(": " + strconv.Quote(e.Reason))
		}
	}
	if e.Cause != nil {
		sb.WriteString(": ")
		sb.WriteString(strings.TrimPrefix(e.Cause.Error(), "httpipc: "))
	}
	return sb.String()
}

func (e *StreamError) Unwrap() error { return e.Cause }

// Is matches the sentinel that a code implies, so that errors.Is(err,
// ErrStreamRefused) holds for a RESET(REFUSED_STREAM) from the peer.
func (e *StreamError) Is(target error) bool {
	switch target {
	case ErrStreamRefused:
		return e.Code == ErrCodeRefusedStream
	case ErrMessageTooLarge:
		return e.Code == ErrCodeMessageTooLarge
	case ErrHeaderLimit:
		return e.Code == ErrCodeHeaderLimit
	}
	return false
}

// ErrorCode returns the wire code of err if it is (or wraps) a
// *StreamError or *ConnectionError.
func ErrorCode(err error) (ErrCode, bool) {
	var se *StreamError
	if errors.As(err, &se) {
		return se.Code, true
	}
	var ce *ConnectionError
	if errors.As(err, &ce) {
		return ce.Code, true
	}
	return 0, false
}

func connError(code ErrCode, err error) *ConnectionError {
	return &ConnectionError{Code: code, Err: err}
}

// wrapf returns sentinel with detail appended, still matching sentinel.
func wrapf(sentinel error, detail string) error {
	return &detailError{sentinel, detail}
}

type detailError struct {
	err    error
	detail string
}

func (e *detailError) Error() string { return e.err.Error() + ": " + e.detail }
func (e *detailError) Unwrap() error { return e.err }
