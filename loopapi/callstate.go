package loopapi

import (
	"encoding/json"
	"regexp"
	"strings"
)

// CallState is the state of a call (section 5).
type CallState string

// The call states. HalfInitiated is internal: the server never sends it
// (a hello in that state answers Init).
const (
	StateInit          CallState = "init"
	StateHalfInitiated CallState = "half-initiated"
	StateAlerting      CallState = "alerting"
	StateConnecting    CallState = "connecting"
	StateHalfConnected CallState = "half-connected"
	StateConnected     CallState = "connected"
	StateTerminated    CallState = "terminated"
)

// A call's state is stored as a set of markers and derived from the
// set's size, as upstream stores it in Redis (callstate.<callId>): each
// party's hello and media-up adds its own marker, so a repeated message
// cannot move the call twice.
const (
	MarkInit            = "init"
	MarkInitCaller      = "init.caller"
	MarkInitCallee      = "init.callee"
	MarkConnecting      = "connecting"
	MarkConnectedCaller = "connected.caller"
	MarkConnectedCallee = "connected.callee"
)

// StateOf maps the size of the marker set to the state; 0 (the set is
// gone) is terminated.
func StateOf(cardinality int64) CallState {
	switch cardinality {
	case 1:
		return StateInit
	case 2:
		return StateHalfInitiated
	case 3:
		return StateAlerting
	case 4:
		return StateConnecting
	case 5:
		return StateHalfConnected
	case 6:
		return StateConnected
	}
	return StateTerminated
}

// Roles of the two parties on the call websocket.
const (
	RoleCaller = "caller"
	RoleCallee = "callee"
)

// Termination reasons the server itself sends; clients may send any
// reason matching ^[a-zA-Z0-9-]+$.
const (
	ReasonTimeout           = "timeout"
	ReasonClosed            = "closed"
	ReasonAnsweredElsewhere = "answered-elsewhere"
	ReasonBusy              = "busy"
	ReasonCancel            = "cancel"
)

// Message types and action events of the call websocket.
const (
	MsgHello    = "hello"
	MsgProgress = "progress"
	MsgAction   = "action"
	MsgEcho     = "echo"
	MsgError    = "error"

	EventAccept    = "accept"
	EventMediaUp   = "media-up"
	EventTerminate = "terminate"
)

// WSMessage is one JSON message of the call websocket, in either
// direction; only the keys of its MessageType are set.
type WSMessage struct {
	MessageType string          `json:"messageType"`
	CallID      string          `json:"callId,omitempty"` // hello (client)
	Auth        string          `json:"auth,omitempty"`   // hello (client): the websocket token
	State       CallState       `json:"state,omitempty"`  // hello (server), progress
	Reason      string          `json:"reason,omitempty"` // progress, action terminate, error
	Event       string          `json:"event,omitempty"`  // action
	Echo        json.RawMessage `json:"echo,omitempty"`   // echo
}

var reasonRE = regexp.MustCompile(`^[a-zA-Z0-9-]+$`)

// ValidReason reports whether a termination reason is acceptable.
func ValidReason(r string) bool { return len(r) <= 64 && reasonRE.MatchString(r) }

// WSError is an error of the call websocket: the server sends its text as
// the "reason" of an error message and closes; the client returns the
// reason it got as a WSError.
type WSError string

func (e WSError) Error() string { return string(e) }

// The call websocket's errors, with upstream's texts.
const (
	ErrWSMalformed     WSError = "Malformed message."
	ErrWSUnknownType   WSError = "Unknown messageType"
	ErrWSBadCallID     WSError = "bad callId"
	ErrWSBadAuth       WSError = "bad authentication"
	ErrWSBadReason     WSError = "Invalid reason: should be alphanumeric"
	ErrWSNotHelloFirst WSError = "hello expected first"
	ErrWSUnavailable   WSError = "Service Unavailable"
)

// ParseWSMessage reads one client message and checks the keys its type
// needs.
func ParseWSMessage(b []byte) (WSMessage, error) {
	var m WSMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return m, ErrWSMalformed
	}
	switch m.MessageType {
	case MsgHello:
		var miss []string
		if m.CallID == "" {
			miss = append(miss, "callId")
		}
		if m.Auth == "" {
			miss = append(miss, "auth")
		}
		if miss != nil {
			return m, WSError("Missing parameters: " + strings.Join(miss, ", "))
		}
	case MsgAction:
		switch m.Event {
		case EventAccept, EventMediaUp, EventTerminate:
		case "":
			return m, WSError("Missing parameters: event")
		default:
			return m, WSError(m.Event + " state is invalid. Should be one of: accept, media-up, terminate")
		}
		if m.Event == EventTerminate && m.Reason != "" && !ValidReason(m.Reason) {
			return m, ErrWSBadReason
		}
	case MsgEcho:
	default:
		return m, ErrWSUnknownType
	}
	return m, nil
}

// progressMessage encodes a state published on a call's channel:
// "state" or "terminated:reason".
func progressMessage(s CallState, reason string) string {
	if reason != "" {
		return string(s) + ":" + reason
	}
	return string(s)
}

func parseProgress(msg string) (CallState, string) {
	s, r, _ := strings.Cut(msg, ":")
	return CallState(s), r
}
