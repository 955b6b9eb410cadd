package loopapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/appwire/appwire/loopapi/hawk"
)

// ClientOptions configures NewClient.
type ClientOptions struct {
	// HTTPClient sends the requests; nil means a client with a 30 s
	// timeout.
	HTTPClient *http.Client
	// SessionToken resumes an existing Hawk session (the
	// Hawk-Session-Token a registration returned); "" means the client
	// gets one with its first Register.
	SessionToken string
	// SkipResponseCheck does not check Server-Authorization on answers
	// to Hawk requests (checked by default: a bad one is an error).
	SkipResponseCheck bool
	// MaxResponseSize bounds an answer body (default 1 MiB).
	MaxResponseSize int64
}

// Client talks to a Loop server: every endpoint, with Hawk session
// tokens derived and requests signed by the client itself. It is safe
// for concurrent use.
type Client struct {
	base string
	hc   *http.Client
	opts ClientOptions

	mu     sync.Mutex
	token  string
	creds  *hawk.Credentials
	offset time.Duration     // clock correction from a stale-timestamp answer
	basic  map[string]string // room token -> participant token
}

// ErrNoSession: the call needs a Hawk session and the client has none
// (Register first, or give ClientOptions.SessionToken).
var ErrNoSession = errors.New("loopapi: no Hawk session")

// NewClient returns a client of the server at baseURL (e.g.
// "http://127.0.0.1:5000" or ".../v0").
func NewClient(baseURL string, opts ClientOptions) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("loopapi: bad server URL %q", baseURL)
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if opts.MaxResponseSize <= 0 {
		opts.MaxResponseSize = 1 << 20
	}
	c := &Client{base: strings.TrimRight(baseURL, "/"), hc: opts.HTTPClient, opts: opts, basic: map[string]string{}}
	if opts.SessionToken != "" {
		if err := c.SetSessionToken(opts.SessionToken); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// SessionToken returns the Hawk session token ("" before Register).
func (c *Client) SessionToken() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.token
}

// SetSessionToken makes the client use a session token.
func (c *Client) SetSessionToken(token string) error {
	creds, err := hawk.DeriveSessionCredentials(token)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.token, c.creds = token, &creds
	return nil
}

type authMode int

const (
	noAuth       authMode = iota
	needHawk              // fail with ErrNoSession without a session
	hawkIfAny             // sign when there is a session
	roomIdentity          // Hawk if any, else the room's Basic participant token
)

// call sends one request and decodes a 2xx answer into out (nil: the
// body is ignored). room is the room token for roomIdentity.
func (c *Client) call(ctx context.Context, method, path string, in, out any, mode authMode, room string) (*http.Response, error) {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return nil, err
		}
	}
	for attempt := 0; ; attempt++ {
		resp, retry, err := c.once(ctx, method, path, body, out, mode, room)
		if !retry || attempt > 0 {
			return resp, err
		}
	}
}

func (c *Client) once(ctx context.Context, method, path string, body []byte, out any, mode authMode, room string) (*http.Response, bool, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, false, err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	c.mu.Lock()
	creds, offset, basic := c.creds, c.offset, c.basic[room]
	c.mu.Unlock()
	var art hawk.Artifacts
	signed := false
	switch {
	case mode == noAuth:
	case creds != nil:
		o := hawk.RequestOptions{Offset: offset}
		if body != nil {
			o.HashPayload, o.ContentType, o.Payload = true, "application/json", body
		}
		if art, err = hawk.Sign(req, *creds, o); err != nil {
			return nil, false, err
		}
		signed = true
	case mode == needHawk:
		return nil, false, ErrNoSession
	case mode == roomIdentity && basic != "":
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(basic+":")))
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, false, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, c.opts.MaxResponseSize+1))
	if err != nil {
		return resp, false, err
	}
	if int64(len(b)) > c.opts.MaxResponseSize {
		return resp, false, fmt.Errorf("loopapi: answer larger than %d bytes", c.opts.MaxResponseSize)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := &Error{}
		if json.Unmarshal(b, e) != nil || e.Code == 0 {
			e = &Error{Code: resp.StatusCode, Text: strings.TrimSpace(string(b))}
		}
		e.Header = resp.Header
		if signed && resp.StatusCode == http.StatusUnauthorized {
			if t, ok, _ := hawk.ParseStaleChallenge(*creds, resp.Header.Get("WWW-Authenticate")); ok {
				c.mu.Lock()
				c.offset = time.Until(t)
				c.mu.Unlock()
				return resp, true, e
			}
		}
		return resp, false, e
	}
	if signed && !c.opts.SkipResponseCheck {
		chk := hawk.ResponseCheck{Required: true}
		if len(b) > 0 {
			chk.CheckPayload, chk.ContentType, chk.Payload = true, resp.Header.Get("Content-Type"), b
		}
		if err := hawk.VerifyResponse(*creds, art, resp.Header.Get("Server-Authorization"), chk); err != nil {
			return resp, false, fmt.Errorf("loopapi: %s %s: %w", method, path, err)
		}
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp, false, fmt.Errorf("loopapi: %s %s: decode answer: %w", method, path, err)
		}
	}
	return resp, false, nil
}

// Root is GET /.
func (c *Client) Root(ctx context.Context) (RootInfo, error) {
	var out RootInfo
	_, err := c.call(ctx, "GET", "/", nil, &out, noAuth, "")
	return out, err
}

// Heartbeat is GET /__heartbeat__; a 503 returns the body and an *Error.
func (c *Client) Heartbeat(ctx context.Context) (Heartbeat, error) {
	var out Heartbeat
	_, err := c.call(ctx, "GET", "/__heartbeat__", nil, &out, noAuth, "")
	var e *Error
	if errors.As(err, &e) && e.Code == http.StatusServiceUnavailable {
		_ = json.Unmarshal([]byte(e.Text), &out)
	}
	return out, err
}

// PushServerConfig is GET /push-server-config.
func (c *Client) PushServerConfig(ctx context.Context) (PushServerConfig, error) {
	var out PushServerConfig
	_, err := c.call(ctx, "GET", "/push-server-config", nil, &out, noAuth, "")
	return out, err
}

// Register is POST /registration: it records push URLs (topic -> URL,
// e.g. {"calls": endpoint}; nil only gets a session). Without a session
// the server creates one and the client keeps its token.
func (c *Client) Register(ctx context.Context, urls map[string]string) error {
	var in any
	if len(urls) > 0 {
		in = Registration{SimplePushURLs: urls}
	}
	resp, err := c.call(ctx, "POST", "/registration", in, nil, hawkIfAny, "")
	if err != nil {
		return err
	}
	if tok := resp.Header.Get(HeaderSessionToken); tok != "" {
		return c.SetSessionToken(tok)
	}
	return nil
}

// RegisterBrowserID is POST /registration with "Authorization: BrowserID
// <assertion>": a session linked to the verified identity (a registered
// user), replacing the client's session.
func (c *Client) RegisterBrowserID(ctx context.Context, assertion string, urls map[string]string) error {
	var body io.Reader
	if len(urls) > 0 {
		b, _ := json.Marshal(Registration{SimplePushURLs: urls})
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, "POST", c.base+"/registration", body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "BrowserID "+assertion)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		e := &Error{}
		if json.Unmarshal(b, e) != nil {
			e = &Error{Code: resp.StatusCode, Text: string(b)}
		}
		return e
	}
	tok := resp.Header.Get(HeaderSessionToken)
	if tok == "" {
		return errors.New("loopapi: registration answered no session token")
	}
	return c.SetSessionToken(tok)
}

// Unregister is DELETE /registration: this session's push URLs go.
func (c *Client) Unregister(ctx context.Context) error {
	_, err := c.call(ctx, "DELETE", "/registration", nil, nil, needHawk, "")
	return err
}

// CreateCallURL is POST /call-url.
func (c *Client) CreateCallURL(ctx context.Context, in CallURLRequest) (CallURLCreated, error) {
	var out CallURLCreated
	_, err := c.call(ctx, "POST", "/call-url", in, &out, needHawk, "")
	return out, err
}

// CallURLs is GET /call-url.
func (c *Client) CallURLs(ctx context.Context) ([]CallURLInfo, error) {
	var out []CallURLInfo
	_, err := c.call(ctx, "GET", "/call-url", nil, &out, needHawk, "")
	return out, err
}

// UpdateCallURL is PUT /call-url/{token}; fields left empty are cleared.
func (c *Client) UpdateCallURL(ctx context.Context, token string, in CallURLRequest) (Expiry, error) {
	var out Expiry
	_, err := c.call(ctx, "PUT", "/call-url/"+url.PathEscape(token), in, &out, needHawk, "")
	return out, err
}

// DeleteCallURL is DELETE /call-url/{token}.
func (c *Client) DeleteCallURL(ctx context.Context, token string) error {
	_, err := c.call(ctx, "DELETE", "/call-url/"+url.PathEscape(token), nil, nil, needHawk, "")
	return err
}

// CallURLInfo is GET /calls/{token}: what a caller sees before calling.
func (c *Client) CallURLInfo(ctx context.Context, token string) (CallTokenInfo, error) {
	var out CallTokenInfo
	_, err := c.call(ctx, "GET", "/calls/"+url.PathEscape(token), nil, &out, noAuth, "")
	return out, err
}

// Call is POST /calls/{token}: the caller's side of a call URL (signed
// when the client has a session, so a registered caller is named).
func (c *Client) Call(ctx context.Context, token string, in CallRequest) (CallCreated, error) {
	var out CallCreated
	_, err := c.call(ctx, "POST", "/calls/"+url.PathEscape(token), in, &out, hawkIfAny, "")
	return out, err
}

// DirectCall is POST /calls (registered users).
func (c *Client) DirectCall(ctx context.Context, in DirectCallRequest) (CallCreated, error) {
	var out CallCreated
	_, err := c.call(ctx, "POST", "/calls", in, &out, needHawk, "")
	return out, err
}

// Calls is GET /calls?version=N: the calls to this user since version
// (the SimplePush version that woke it).
func (c *Client) Calls(ctx context.Context, version int64) ([]CallItem, error) {
	var out CallList
	_, err := c.call(ctx, "GET", "/calls?version="+strconv.FormatInt(version, 10), nil, &out, needHawk, "")
	return out.Calls, err
}

// DeleteAccount is DELETE /account.
func (c *Client) DeleteAccount(ctx context.Context) error {
	_, err := c.call(ctx, "DELETE", "/account", nil, nil, needHawk, "")
	return err
}

// DeleteSession is DELETE /session (registered users).
func (c *Client) DeleteSession(ctx context.Context) error {
	_, err := c.call(ctx, "DELETE", "/session", nil, nil, needHawk, "")
	return err
}

// CreateRoom is POST /rooms.
func (c *Client) CreateRoom(ctx context.Context, in RoomRequest) (RoomCreated, error) {
	var out RoomCreated
	_, err := c.call(ctx, "POST", "/rooms", in, &out, needHawk, "")
	return out, err
}

// Rooms is GET /rooms?version=N (0: every room).
func (c *Client) Rooms(ctx context.Context, version int64) ([]RoomInfo, error) {
	var out []RoomInfo
	p := "/rooms"
	if version > 0 {
		p += "?version=" + strconv.FormatInt(version, 10)
	}
	_, err := c.call(ctx, "GET", p, nil, &out, needHawk, "")
	return out, err
}

// Room is GET /rooms/{token}, as owner, Hawk participant or Basic
// participant (after JoinRoom without a session).
func (c *Client) Room(ctx context.Context, token string) (RoomInfo, error) {
	var out RoomInfo
	_, err := c.call(ctx, "GET", "/rooms/"+url.PathEscape(token), nil, &out, roomIdentity, token)
	return out, err
}

// UpdateRoom is PATCH /rooms/{token}.
func (c *Client) UpdateRoom(ctx context.Context, token string, in RoomRequest) (Expiry, error) {
	var out Expiry
	_, err := c.call(ctx, "PATCH", "/rooms/"+url.PathEscape(token), in, &out, needHawk, "")
	return out, err
}

// DeleteRoom is DELETE /rooms/{token}.
func (c *Client) DeleteRoom(ctx context.Context, token string) error {
	_, err := c.call(ctx, "DELETE", "/rooms/"+url.PathEscape(token), nil, nil, needHawk, "")
	return err
}

// JoinRoom is POST /rooms/{token} {"action":"join"}. Without a session the
// server hands out a participant token, which the client keeps for the
// room's later requests.
func (c *Client) JoinRoom(ctx context.Context, token, displayName string, clientMaxSize int) (RoomJoined, error) {
	var out RoomJoined
	_, err := c.call(ctx, "POST", "/rooms/"+url.PathEscape(token),
		RoomAction{Action: ActionJoin, DisplayName: displayName, ClientMaxSize: clientMaxSize}, &out, roomIdentity, token)
	if err == nil && out.ParticipantToken != "" {
		c.mu.Lock()
		c.basic[token] = out.ParticipantToken
		c.mu.Unlock()
	}
	return out, err
}

// RefreshRoom is POST /rooms/{token} {"action":"refresh"}.
func (c *Client) RefreshRoom(ctx context.Context, token string) (RoomRefreshed, error) {
	var out RoomRefreshed
	_, err := c.call(ctx, "POST", "/rooms/"+url.PathEscape(token), RoomAction{Action: ActionRefresh}, &out, roomIdentity, token)
	return out, err
}

// LeaveRoom is POST /rooms/{token} {"action":"leave"}.
func (c *Client) LeaveRoom(ctx context.Context, token string) error {
	_, err := c.call(ctx, "POST", "/rooms/"+url.PathEscape(token), RoomAction{Action: ActionLeave}, nil, roomIdentity, token)
	return err
}

// RoomDeletion is one room's answer in DeleteRooms: {"code":200}, or the
// error that room got.
type RoomDeletion struct {
	Code  int    `json:"code"`
	Errno Errno  `json:"errno,omitempty"`
	Error string `json:"error,omitempty"`
}

// DeleteRooms is PATCH /rooms {"deleteRoomTokens": tokens}: each room's
// own answer, by token.
func (c *Client) DeleteRooms(ctx context.Context, tokens []string) (map[string]RoomDeletion, error) {
	var out struct {
		Responses map[string]RoomDeletion `json:"responses"`
	}
	_, err := c.call(ctx, "PATCH", "/rooms", map[string][]string{"deleteRoomTokens": tokens}, &out, needHawk, "")
	return out.Responses, err
}

// RoomStatus is POST /rooms/{token} {"action":"status"} with the client's
// media state, which the server only logs.
func (c *Client) RoomStatus(ctx context.Context, token string) error {
	_, err := c.call(ctx, "POST", "/rooms/"+url.PathEscape(token), RoomAction{Action: ActionStatus}, nil, roomIdentity, token)
	return err
}

// LBHeartbeat is GET /__lbheartbeat__ (an answer means the process is up).
func (c *Client) LBHeartbeat(ctx context.Context) error {
	_, err := c.call(ctx, "GET", "/__lbheartbeat__", nil, nil, noAuth, "")
	return err
}
