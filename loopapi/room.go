package loopapi

import (
	"encoding/json"
	"sort"
	"strconv"
)

// RoomContext is an encrypted room context (section 8): the client
// encrypts the room's name and URLs, the server stores the blob.
type RoomContext struct {
	Value      string `json:"value"`
	Alg        string `json:"alg"`
	WrappedKey string `json:"wrappedKey"`
}

// RoomRequest is the body of POST /rooms and PATCH /rooms/{token}.
type RoomRequest struct {
	RoomName  string       `json:"roomName,omitempty"`
	RoomOwner string       `json:"roomOwner,omitempty"`
	MaxSize   int          `json:"maxSize,omitempty"`
	ExpiresIn int64        `json:"expiresIn,omitempty"` // hours
	Context   *RoomContext `json:"context,omitempty"`
}

// RoomCreated is the answer (201) of POST /rooms.
type RoomCreated struct {
	RoomToken string `json:"roomToken"`
	RoomURL   string `json:"roomUrl"`
	ExpiresAt int64  `json:"expiresAt"`
}

// RoomInfo is the answer of GET /rooms/{token} and one entry of GET
// /rooms; a deleted room is listed as {roomToken, deleted: true}.
type RoomInfo struct {
	RoomToken     string            `json:"roomToken"`
	RoomName      string            `json:"roomName,omitempty"`
	Context       *RoomContext      `json:"context,omitempty"`
	RoomURL       string            `json:"roomUrl,omitempty"`
	RoomOwner     string            `json:"roomOwner,omitempty"`
	MaxSize       int               `json:"maxSize,omitempty"`
	ClientMaxSize int               `json:"clientMaxSize,omitempty"`
	CreationTime  int64             `json:"creationTime,omitempty"`
	Ctime         int64             `json:"ctime,omitempty"`
	ExpiresAt     int64             `json:"expiresAt,omitempty"`
	Participants  []ParticipantInfo `json:"participants,omitempty"`
	Deleted       bool              `json:"deleted,omitempty"`
}

// ParticipantInfo is a participant as GET /rooms/{token} lists it.
type ParticipantInfo struct {
	DisplayName      string `json:"displayName"`
	Account          string `json:"account,omitempty"`
	RoomConnectionID string `json:"roomConnectionId"`
	Owner            bool   `json:"owner"`
}

// Room actions of POST /rooms/{token}.
const (
	ActionJoin    = "join"
	ActionRefresh = "refresh"
	ActionLeave   = "leave"
	ActionStatus  = "status"
)

// RoomAction is the body of POST /rooms/{token}.
type RoomAction struct {
	Action        string `json:"action"`
	DisplayName   string `json:"displayName,omitempty"`
	ClientMaxSize int    `json:"clientMaxSize,omitempty"`
}

// RoomJoined is the answer of a join: the provider session and the
// participant's expiry in seconds. ParticipantToken is set for a
// participant who joined without Hawk: its Basic credential for the next
// requests (this server's way to hand it over; see doc.go).
type RoomJoined struct {
	APIKey           string `json:"apiKey"`
	SessionID        string `json:"sessionId"`
	SessionToken     string `json:"sessionToken"`
	Expires          int64  `json:"expires"`
	ParticipantToken string `json:"participantToken,omitempty"`
}

// RoomRefreshed is the answer of a refresh.
type RoomRefreshed struct {
	Expires int64 `json:"expires"`
}

// RoomLimits are the bounds validation applies to room requests.
type RoomLimits struct {
	MaxSize      int   // of a room (rooms.maxSize)
	MaxTTLHours  int64 // expiresIn (rooms.maxTTL)
	DefTTLHours  int64 // expiresIn when absent (rooms.defaultTTL)
	MaxNameSize  int   // roomName characters
	MaxOwnerSize int   // roomOwner characters
	MaxContext   int   // bytes of context.value
}

// ParseRoomRequest validates a create (create true) or patch body and
// returns it with defaults applied (create only).
func ParseRoomRequest(p Params, create bool, lim RoomLimits) (RoomRequest, *Error) {
	var r RoomRequest
	if create {
		need := []string{"roomOwner"}
		if !p.Has("context") {
			need = append(need, "roomName")
		}
		if e := p.Missing(need...); e != nil {
			return r, e
		}
		r.MaxSize = lim.MaxSize
		r.ExpiresIn = lim.DefTTLHours
	}
	if p.Has("roomName") {
		r.RoomName = stringish(p["roomName"])
		if len([]rune(r.RoomName)) > lim.MaxNameSize {
			return r, errInvalid("roomName should be shorter than " + strconv.Itoa(lim.MaxNameSize) + " characters")
		}
	}
	if p.Has("roomOwner") {
		r.RoomOwner = stringish(p["roomOwner"])
		if len([]rune(r.RoomOwner)) > lim.MaxOwnerSize {
			return r, errInvalid("roomOwner should be shorter than " + strconv.Itoa(lim.MaxOwnerSize) + " characters")
		}
	}
	if p.Has("maxSize") {
		n, ok := parseInt(p["maxSize"])
		if !ok || n < 2 {
			return r, errInvalid("maxSize should be a number of at least 2")
		}
		if n > int64(lim.MaxSize) {
			return r, errInvalid("maxSize should be less than or equal to " + strconv.Itoa(lim.MaxSize))
		}
		r.MaxSize = int(n)
	}
	if p.Has("expiresIn") {
		n, ok := parseInt(p["expiresIn"])
		if !ok || n < 1 {
			return r, errInvalid("expiresIn should be a positive number")
		}
		if n > lim.MaxTTLHours {
			return r, errInvalid("expiresIn cannot be greater than " + strconv.FormatInt(lim.MaxTTLHours, 10))
		}
		r.ExpiresIn = n
	}
	if v, ok := p["context"]; ok {
		m, isObj := v.(map[string]any)
		c := &RoomContext{}
		if isObj {
			c.Value, _ = m["value"].(string)
			c.Alg, _ = m["alg"].(string)
			c.WrappedKey, _ = m["wrappedKey"].(string)
		}
		if !isObj || c.Value == "" || c.Alg == "" || c.WrappedKey == "" {
			return r, errInvalid("context should be an object with value, alg and wrappedKey")
		}
		if len(c.Value) > lim.MaxContext {
			e := NewError(413, ErrnoRequestTooLarge, "Too large")
			e.Message = "context.value should be at most " + strconv.Itoa(lim.MaxContext) + " bytes"
			return r, e
		}
		r.Context = c
	}
	return r, nil
}

// ParseRoomAction validates the body of POST /rooms/{token}.
func ParseRoomAction(p Params, maxSize int) (RoomAction, *Error) {
	var a RoomAction
	if e := p.Missing("action"); e != nil {
		return a, e
	}
	a.Action = p.String("action")
	switch a.Action {
	case ActionJoin:
		if e := p.Missing("displayName", "clientMaxSize"); e != nil {
			return a, e
		}
		a.DisplayName = stringish(p["displayName"])
		n, ok := parseInt(p["clientMaxSize"])
		if !ok || n < 1 {
			return a, errInvalid("clientMaxSize should be a number")
		}
		a.ClientMaxSize = int(min(n, int64(maxSize)*1000))
	case ActionRefresh, ActionLeave, ActionStatus:
	default:
		return a, errInvalid("action should be one of join, refresh, leave, status")
	}
	return a, nil
}

// rawJSON marshals v for Error.Info.
func rawJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

// decodeParticipants reads a participants hash (ID -> JSON), keeping the
// entries alive at nowMs, ordered by join time.
func decodeParticipants(h map[string]string, nowMs int64) []Participant {
	out := make([]Participant, 0, len(h))
	for _, v := range h {
		var p Participant
		if json.Unmarshal([]byte(v), &p) != nil || p.ExpiresAt <= nowMs {
			continue
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].JoinedAt != out[j].JoinedAt {
			return out[i].JoinedAt < out[j].JoinedAt
		}
		return out[i].ID < out[j].ID
	})
	return out
}
