package loopapi

import (
	"context"
	"time"
)

// Store keeps every piece of server state (docs/protocols/loop.md section
// 6). MemoryStore is the default; loopapi/redisstore keeps the same data
// under upstream's Redis keys, so several server processes on one Redis
// serve the same users. loopapi/storetest checks any implementation.
//
// Missing or expired records are ErrNotFound (possibly wrapped); any other
// error is a backend failure and the server answers 503 errno 201.
// Methods are safe for concurrent use.
type Store interface {
	// Ping checks the backend (GET /__heartbeat__).
	Ping(ctx context.Context) error

	// CreateSession stores a Hawk session: hawk.<id> = key.
	CreateSession(ctx context.Context, id, key string, ttl time.Duration) error
	// Session returns session id: its Hawk key, the registered user and
	// sealed identity it is linked to ("" for an anonymous session), and
	// how long its key has left to live. One round trip: it is on the path
	// of every authenticated request.
	Session(ctx context.Context, id string) (Session, error)
	// SessionKey returns only the Hawk key of session id.
	SessionKey(ctx context.Context, id string) (string, error)
	// SetSessionUser links session id to a registered user:
	// hawkuser.<id> = user, userid.<id> = identity (sealed by the server).
	SetSessionUser(ctx context.Context, id, user, identity string, ttl time.Duration) error
	// TouchSession resets the TTL of the session's and its user's keys
	// (upstream touchHawkSession).
	TouchSession(ctx context.Context, user, id string, ttl time.Duration) error
	// DeleteSession removes the session's push URLs and its hawk.,
	// hawkuser. and userid. keys.
	DeleteSession(ctx context.Context, user, id string) error
	// DeleteAccount removes everything of user (push URLs of every
	// session, call URLs, calls, rooms) and session id.
	DeleteAccount(ctx context.Context, user, id string) error

	// SetPushURLs sets the push URLs (topic -> URL) of one session of
	// user, each replacing that session's URL of the same topic.
	SetPushURLs(ctx context.Context, user, id string, urls map[string]string, ttl time.Duration) error
	// DeletePushURLs removes the push URLs of one session of user.
	DeletePushURLs(ctx context.Context, user, id string) error
	// PushURLs returns the distinct URLs of topic over every session of
	// user, sorted.
	PushURLs(ctx context.Context, user, topic string) ([]string, error)

	// SetCallURL stores a call URL until u.Expires and lists it under
	// u.UserMac (TTL userTTL).
	SetCallURL(ctx context.Context, u CallURL, userTTL time.Duration) error
	// CallURL returns a live call URL.
	CallURL(ctx context.Context, token string) (CallURL, error)
	// CallURLs returns user's live call URLs, oldest first, dropping
	// references to expired ones.
	CallURLs(ctx context.Context, user string) ([]CallURL, error)
	// DeleteCallURL removes a call URL.
	DeleteCallURL(ctx context.Context, user, token string) error

	// AddCall stores a call for callee (TTL ttl), its state set {init},
	// and lists it under callee (TTL userTTL).
	AddCall(ctx context.Context, callee string, c Call, ttl, userTTL time.Duration) error
	// Call returns a live call.
	Call(ctx context.Context, callID string) (Call, error)
	// Calls returns callee's live calls sorted by timestamp, dropping
	// references to expired ones.
	Calls(ctx context.Context, callee string) ([]Call, error)
	// AddCallState adds a marker (Mark*) to the call's state set, if the
	// set still exists, and returns the state its size gives.
	AddCallState(ctx context.Context, callID, marker string) (CallState, error)
	// CallState returns the state and, once terminated, the reason.
	CallState(ctx context.Context, callID string) (CallState, string, error)
	// TerminateCall deletes the state set and records reason.
	TerminateCall(ctx context.Context, callID, reason string) error
	// ConnectDevice adds delta (+1 or -1) to the count of role's
	// websockets on the call and returns the new count.
	ConnectDevice(ctx context.Context, callID, role string, delta int64) (int64, error)

	// Publish sends msg to every subscriber of channel, on every node.
	Publish(ctx context.Context, channel, msg string) error
	// Subscribe calls fn with every message published on channel until
	// the returned cancel is called. fn must not block.
	Subscribe(ctx context.Context, channel string, fn func(msg string)) (cancel func(), err error)

	// SetRoom stores a room until r.ExpiresAt and lists it under r.OwnerMac.
	SetRoom(ctx context.Context, r Room, userTTL time.Duration) error
	// Room returns a live room.
	Room(ctx context.Context, token string) (Room, error)
	// Rooms returns user's live rooms, oldest first.
	Rooms(ctx context.Context, user string) ([]Room, error)
	// DeleteRoom removes a room and its participants and remembers the
	// deletion (room.deleted.<token>, TTL deletedTTL) for GET /rooms.
	DeleteRoom(ctx context.Context, user, token string, at time.Time, deletedTTL time.Duration) error
	// DeletedRooms returns the tokens of user's rooms deleted at or after
	// since (unix seconds), with the deletion time.
	DeletedRooms(ctx context.Context, user string, since int64) (map[string]int64, error)
	// JoinRoom adds or refreshes a participant until p.ExpiresAt; it
	// fails with ErrRoomFull when maxSize other live participants are
	// there.
	JoinRoom(ctx context.Context, token string, p Participant, maxSize int) error
	// Participants returns the live participants of a room, by join time.
	Participants(ctx context.Context, token string) ([]Participant, error)
	// LeaveRoom removes a participant.
	LeaveRoom(ctx context.Context, token, participantID string) error
	// SetParticipantToken remembers a Basic participant token (its HMAC)
	// for a room until ttl.
	SetParticipantToken(ctx context.Context, token, tokenHmac, participantID string, ttl time.Duration) error
	// ParticipantToken returns the participant ID a token HMAC stands for.
	ParticipantToken(ctx context.Context, token, tokenHmac string) (string, error)

	// Close releases the store's resources (subscriptions, connections
	// it owns).
	Close() error
}

// Session is a stored Hawk session.
type Session struct {
	Key      string        // hawk.<id>: the Hawk key (hex)
	User     string        // hawkuser.<id>: the registered user's HMAC; "" when anonymous
	Identity string        // userid.<id>: the sealed identity; "" when anonymous
	TTL      time.Duration // what hawk.<id> has left to live
}

// CallURL is a stored call URL (callurl.<token>).
type CallURL struct {
	Token     string `json:"-"`
	UserMac   string `json:"userMac"`
	CallerID  string `json:"callerId,omitempty"`
	Timestamp int64  `json:"timestamp"`
	Issuer    string `json:"issuer,omitempty"`
	Subject   string `json:"subject,omitempty"`
	Expires   int64  `json:"expires"` // unix seconds
}

// Call is a stored call (call.<callId>). The caller's provider token is
// never stored.
type Call struct {
	CallID             string `json:"callId"`
	CallType           string `json:"callType"`
	CallState          string `json:"callState"`
	Subject            string `json:"subject,omitempty"`
	Timestamp          int64  `json:"timestamp"`
	CallerID           string `json:"callerId,omitempty"`
	CalleeFriendlyName string `json:"calleeFriendlyName,omitempty"`
	APIKey             string `json:"apiKey"`
	SessionID          string `json:"sessionId"`
	CalleeToken        string `json:"calleeToken"`
	WSCallerToken      string `json:"wsCallerToken"`
	WSCalleeToken      string `json:"wsCalleeToken"`
	CallToken          string `json:"callToken,omitempty"`
	URLCreationDate    int64  `json:"urlCreationDate,omitempty"`
}

// Room is a stored room (room.<token>).
type Room struct {
	Token        string       `json:"roomToken"`
	Name         string       `json:"roomName,omitempty"`
	Context      *RoomContext `json:"context,omitempty"`
	Owner        string       `json:"roomOwner"`
	OwnerMac     string       `json:"roomOwnerHmac"`
	MaxSize      int          `json:"maxSize"`
	ExpiresAt    int64        `json:"expiresAt"` // unix seconds
	CreationTime int64        `json:"creationTime"`
	UpdateTime   int64        `json:"updateTime"`
	SessionID    string       `json:"sessionId"`
	APIKey       string       `json:"apiKey"`
}

// Participant is one participant of a room. ID is the session's
// hawkIdHmac, or the HMAC of its Basic token for a link clicker.
type Participant struct {
	ID            string `json:"id"`
	ConnectionID  string `json:"roomConnectionId"`
	DisplayName   string `json:"displayName"`
	Account       string `json:"account,omitempty"`
	ClientMaxSize int    `json:"clientMaxSize"`
	Owner         bool   `json:"owner"`
	JoinedAt      int64  `json:"joinedAt"`  // unix milliseconds
	ExpiresAt     int64  `json:"expiresAt"` // unix milliseconds
}
