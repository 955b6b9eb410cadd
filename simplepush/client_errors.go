package simplepush

import (
	"errors"
	"fmt"
	"net/http"
)

// Client errors.
var (
	// ErrClientClosed: the client was closed.
	ErrClientClosed = errors.New("simplepush: client closed")
	// ErrConnectionLost: the socket broke while a command waited for its
	// reply; the command may or may not have taken effect. The client
	// reconnects by itself; retry the command.
	ErrConnectionLost = errors.New("simplepush: connection lost")
	// ErrChannelInUse: register answered 409, the channel ID belongs to
	// another uaid; register a new channel ID.
	ErrChannelInUse = errors.New("simplepush: channel ID in use by another user agent")
)

// ReplyError is a non-200 reply to a client command (hello, register,
// unregister). It matches ErrChannelInUse for a 409 register, and the
// pushgo sentinels (ErrInvalidParams, ErrNoHandshake, ...) whose text the
// reply carried.
type ReplyError struct {
	Type   MessageType
	Status int
	Text   string // the reply's "error" (pushgo) or "reason" (autopush)
}

func (e *ReplyError) Error() string {
	return fmt.Sprintf("simplepush: %s: status %d %s", e.Type, e.Status, e.Text)
}

// Is matches ErrChannelInUse and the *Error sentinel whose text was sent.
func (e *ReplyError) Is(target error) bool {
	if target == ErrChannelInUse {
		return e.Type == TypeRegister && e.Status == http.StatusConflict
	}
	if t, ok := target.(*Error); ok {
		return e.Text != "" && t.Code.String() == e.Text
	}
	return false
}

// NotifyError is an endpoint's refusal of an app server's PUT. errors.Is
// matches ErrBadToken for 404, ErrUnknownChannel for 410, ErrBadVersion
// for 400, ErrDataTooLong for 413.
type NotifyError struct {
	StatusCode int
	Body       string // the first bytes of the answer
}

func (e *NotifyError) Error() string {
	return fmt.Sprintf("simplepush: endpoint answered %d %s", e.StatusCode, e.Body)
}

// Is maps the status to the package's sentinels.
func (e *NotifyError) Is(target error) bool {
	switch e.StatusCode {
	case http.StatusNotFound:
		return target == ErrBadToken
	case http.StatusGone:
		return target == ErrUnknownChannel
	case http.StatusBadRequest:
		return target == ErrBadVersion
	case http.StatusRequestEntityTooLarge:
		return target == ErrDataTooLong
	}
	return false
}

// Temporary reports whether retrying later may succeed (5xx, 429).
func (e *NotifyError) Temporary() bool {
	return e.StatusCode >= 500 || e.StatusCode == http.StatusTooManyRequests
}
