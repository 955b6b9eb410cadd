package spsuite

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/appwire/appwire/conformance"
	"github.com/appwire/appwire/internal/wsconn"
)

// The plumbing every case shares: one user-agent WebSocket, decoded
// messages, and barriers. Messages are checked with encoding/json and
// byte scans, never with the simplepush codec, so a codec bug cannot hide
// a server bug.

// maxMessage bounds what a case reads of one WebSocket message or body.
const maxMessage = 256 << 10

// newUAID returns a fresh random UUID as 32 lower-case hex digits.
func newUAID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return hex.EncodeToString(b[:])
}

// newChID returns a fresh random UUID in the lower-case dashed form, which
// every server accepts as a channel ID.
func newChID() string { return dashed(newUAID()) }

// dashed writes a 32-hex UUID in the 36-character form.
func dashed(u string) string {
	return u[0:8] + "-" + u[8:12] + "-" + u[12:16] + "-" + u[16:20] + "-" + u[20:32]
}

// canonical strips dashes and lower-cases, the form uaids are compared in.
func canonical(s string) string { return strings.ToLower(strings.ReplaceAll(s, "-", "")) }

// isUUID reports whether s is 32 hex digits or the 36-character dashed
// form, any case (pushgo's id.Valid).
func isUUID(s string) bool {
	hexOnly := func(s string) bool {
		_, err := hex.DecodeString(s)
		return err == nil && len(s)%2 == 0
	}
	switch len(s) {
	case 32:
		return hexOnly(s)
	case 36:
		return s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-' && hexOnly(strings.ReplaceAll(s, "-", ""))
	}
	return false
}

// wsURL returns the target's WebSocket URL.
func wsURL(t *conformance.T) string {
	u, err := url.Parse(t.URL())
	if err != nil || u.Host == "" {
		t.Errorf("TARGET %q is not a URL like ws://127.0.0.1:8080/", t.URL())
	}
	switch u.Scheme {
	case "ws", "wss":
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	default:
		t.Errorf("TARGET %q is not a ws:// or wss:// URL", t.URL())
	}
	return u.String()
}

// msg is one decoded message from the server. Pong is the bare {}.
type msg struct {
	Raw []byte
	Obj map[string]json.RawMessage
}

func parseMsg(raw []byte) (*msg, error) {
	m := &msg{Raw: raw}
	if err := json.Unmarshal(raw, &m.Obj); err != nil || m.Obj == nil {
		return nil, errors.New("not a JSON object")
	}
	return m, nil
}

// typ is the messageType ("" when absent).
func (m *msg) typ() string { return m.str("messageType") }

// pong reports whether m is the bare {}.
func (m *msg) pong() bool { return len(m.Obj) == 0 }

// str returns member name as a string ("" when absent or not a string).
func (m *msg) str(name string) string {
	var s string
	if json.Unmarshal(m.Obj[name], &s) != nil {
		return ""
	}
	return s
}

// status returns the status member, or -1 when absent or not an integer.
func (m *msg) status() int {
	n, err := strconv.Atoi(string(m.Obj["status"]))
	if err != nil {
		return -1
	}
	return n
}

func (m *msg) String() string { return fmt.Sprintf("%.300s", m.Raw) }

// update is one entry of a notification's updates.
type update struct {
	ChannelID string
	Version   json.RawMessage // as sent
	Data      *string         // nil when absent
}

// ver returns the version as an integer; ok is false when it is not a
// JSON number holding a non-negative integer.
func (u update) ver() (uint64, bool) {
	v, err := strconv.ParseUint(string(u.Version), 10, 64)
	return v, err == nil
}

// updates decodes the updates of a notification.
func (m *msg) updates() ([]update, error) {
	var list []map[string]json.RawMessage
	if err := json.Unmarshal(m.Obj["updates"], &list); err != nil {
		return nil, errors.New(`"updates" is not an array of objects`)
	}
	out := make([]update, 0, len(list))
	for _, e := range list {
		u := update{Version: e["version"]}
		if json.Unmarshal(e["channelID"], &u.ChannelID) != nil {
			return nil, errors.New(`an update's "channelID" is not a string`)
		}
		if raw, ok := e["data"]; ok {
			var s string
			if json.Unmarshal(raw, &s) == nil {
				u.Data = &s
			}
		}
		out = append(out, u)
	}
	return out, nil
}

// ua is one user-agent WebSocket to the target.
type ua struct {
	t    *conformance.T
	ctx  context.Context
	c    *wsconn.Conn
	uaid string
	// notes holds the notifications read while waiting for something
	// else, oldest first.
	notes []*msg
}

// dialer remembers whether a TCP connection was made, so an unreachable
// target (Error) can be told from a broken one (Fail).
type dialer struct{ connected bool }

func (d *dialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var nd net.Dialer
	c, err := nd.DialContext(ctx, network, addr)
	if err == nil {
		d.connected = true
	}
	return c, err
}

// tryDial opens a WebSocket to the target with opts. It ends the case with
// Error when the target cannot be reached at all.
func tryDial(ctx context.Context, t *conformance.T, opts wsconn.DialOptions) (*wsconn.Conn, error) {
	u := wsURL(t)
	d := &dialer{}
	opts.NetDial = d.dial
	opts.ReadLimit = maxMessage
	t.Sent("GET %s (WebSocket upgrade%s)", u, protoNote(opts.Protocols))
	c, err := wsconn.Dial(ctx, u, opts)
	if err != nil {
		if !d.connected {
			t.Errorf("cannot reach the target: %v", err)
		}
		t.Received("%s", handshakeText(err))
		return nil, err
	}
	t.Received("HTTP 101%s", protoNote([]string{c.HandshakeHeader().Get("Sec-WebSocket-Protocol")}))
	return c, nil
}

func protoNote(p []string) string {
	if len(p) == 0 || p[0] == "" {
		return ""
	}
	return " [Sec-WebSocket-Protocol: " + strings.Join(p, ", ") + "]"
}

func handshakeText(err error) string {
	var he *wsconn.HandshakeError
	if errors.As(err, &he) && he.StatusCode != 0 {
		return fmt.Sprintf("HTTP %d (%s)", he.StatusCode, he.Reason)
	}
	return err.Error()
}

// dial opens a user-agent socket; a refused upgrade fails the case.
func dial(ctx context.Context, t *conformance.T) *ua {
	c, err := tryDial(ctx, t, wsconn.DialOptions{})
	if err != nil {
		t.Failf("HTTP 101: the WebSocket upgrade is accepted", "%s", handshakeText(err))
	}
	u := &ua{t: t, ctx: ctx, c: c}
	context.AfterFunc(ctx, func() { c.CloseNow() })
	return u
}

// session dials and says hello with a fresh uaid.
func session(ctx context.Context, t *conformance.T) *ua {
	u := dial(ctx, t)
	u.hello("", nil)
	return u
}

// send writes one text message; a write error fails the case.
func (u *ua) send(s string) {
	u.t.Sent("%s", s)
	if err := u.c.WriteText(u.ctx, []byte(s)); err != nil {
		u.t.Notef("write: %v", err)
		u.t.Failf("the connection stays open", "writing failed: %s", closeText(u.ctx, err))
	}
}

// sendJSON writes v encoded as JSON.
func (u *ua) sendJSON(v any) {
	b, err := json.Marshal(v)
	u.t.Check(err, "encoding a message")
	u.send(string(b))
}

// next reads one message. A message that is not a JSON object fails the
// case; err is the read error (close, EOF, timeout).
func (u *ua) next() (*msg, error) {
	_, raw, err := u.c.ReadMessage(u.ctx, nil)
	if err != nil {
		u.t.Notef("%s", closeText(u.ctx, err))
		return nil, err
	}
	u.t.Received("%s", raw)
	m, perr := parseMsg(raw)
	if perr != nil {
		u.t.Failf("a JSON object", "%v: %.200q", perr, raw)
	}
	return m, nil
}

// read returns the next message that is not a notification (those go to
// notes); a close or the timeout fails the case.
func (u *ua) read(expect string) *msg {
	for {
		m, err := u.next()
		if err != nil {
			u.t.Failf(expect, "%s", closeText(u.ctx, err))
		}
		if m.typ() == "notification" {
			u.notes = append(u.notes, m)
			continue
		}
		return m
	}
}

// reply reads the next non-notification message and fails unless it has
// messageType typ.
func (u *ua) reply(typ, expect string) *msg {
	m := u.read(expect)
	if m.typ() != typ {
		u.t.Failf(expect, "%s", m)
	}
	return m
}

// hello sends a hello with uaid ("" for none) and chids and expects 200
// with a uaid, which it returns and keeps.
func (u *ua) hello(uaid string, chids []string) string {
	if chids == nil {
		chids = []string{}
	}
	u.sendJSON(map[string]any{"messageType": "hello", "uaid": uaid, "channelIDs": chids})
	return u.helloReply()
}

// helloReply reads a 200 hello reply and keeps its uaid.
func (u *ua) helloReply() string {
	const expect = `{"messageType":"hello","uaid":"<uaid>","status":200}`
	m := u.reply("hello", expect)
	if m.status() != 200 || m.str("uaid") == "" {
		u.t.Failf(expect, "%s", m)
	}
	u.uaid = m.str("uaid")
	return u.uaid
}

// register registers chid and returns its pushEndpoint.
func (u *ua) register(chid string) string {
	u.sendJSON(map[string]any{"messageType": "register", "channelID": chid})
	expect := fmt.Sprintf(`{"messageType":"register","channelID":%q,"status":200,"pushEndpoint":"<url>"}`, chid)
	m := u.reply("register", expect)
	if m.status() != 200 || m.str("channelID") != chid || m.str("pushEndpoint") == "" {
		u.t.Failf(expect, "%s", m)
	}
	return m.str("pushEndpoint")
}

// unregister unregisters chid and expects 200.
func (u *ua) unregister(chid string) {
	u.sendJSON(map[string]any{"messageType": "unregister", "channelID": chid})
	expect := fmt.Sprintf(`{"messageType":"unregister","channelID":%q,"status":200}`, chid)
	m := u.reply("unregister", expect)
	if m.status() != 200 || m.str("channelID") != chid {
		u.t.Failf(expect, "%s", m)
	}
}

// ack acknowledges version of chid.
func (u *ua) ack(chid string, version uint64) {
	u.send(fmt.Sprintf(`{"messageType":"ack","updates":[{"channelID":%q,"version":%d}]}`, chid, version))
}

// barrier sends an unregister of a channel nobody has (always 200, no
// side effect) and reads until its reply. The server handles one socket's
// messages in order and writes a direct delivery before it answers the
// PUT, so every notification due before the barrier has arrived (in
// notes) when it returns. It returns the other messages seen on the way.
func (u *ua) barrier() []*msg {
	chid := newChID()
	u.sendJSON(map[string]any{"messageType": "unregister", "channelID": chid})
	var other []*msg
	for {
		m := u.read("the reply to a barrier unregister of " + chid)
		if m.typ() == "unregister" && m.str("channelID") == chid {
			return other
		}
		other = append(other, m)
	}
}

// wait returns the first update for chid among the notifications,
// reading more until one arrives; notifications before it are consumed.
func (u *ua) wait(chid, expect string) (update, *msg) {
	for {
		for len(u.notes) > 0 {
			m := u.notes[0]
			u.notes = u.notes[1:]
			ups, err := m.updates()
			if err != nil {
				u.t.Failf(expect, "%v: %s", err, m)
			}
			for _, up := range ups {
				if up.ChannelID == chid {
					return up, m
				}
			}
		}
		m, err := u.next()
		if err != nil {
			u.t.Failf(expect, "%s", closeText(u.ctx, err))
		}
		if m.typ() != "notification" {
			continue // a late reply to something else
		}
		u.notes = append(u.notes, m)
	}
}

// waitVersion waits for an update of chid and fails unless it carries
// version.
func (u *ua) waitVersion(chid string, version uint64) update {
	expect := fmt.Sprintf(`a notification with {"channelID":%q,"version":%d}`, chid, version)
	up, m := u.wait(chid, expect)
	if v, ok := up.ver(); !ok || v != version {
		u.t.Failf(expect, "%s", m)
	}
	return up
}

// noUpdate fails if a notification for chid arrived before a barrier.
func (u *ua) noUpdate(chid, expect string) {
	u.barrier()
	for _, m := range u.notes {
		ups, _ := m.updates()
		for _, up := range ups {
			if up.ChannelID == chid {
				u.t.Failf(expect, "%s", m)
			}
		}
	}
}

// expectClose reads until the server ends the connection; any message
// other than a notification fails the case.
func (u *ua) expectClose(expect string) {
	for {
		m, err := u.next()
		if err != nil {
			if timedOut(u.ctx, err) {
				u.t.Failf(expect, "the connection is still open at the case timeout")
			}
			return
		}
		if m.typ() != "notification" {
			u.t.Failf(expect, "received %s", m)
		}
	}
}

// expectCloseCode is expectClose requiring a close frame with code.
func (u *ua) expectCloseCode(code int, expect string) {
	for {
		m, err := u.next()
		if err == nil {
			if m.typ() != "notification" {
				u.t.Failf(expect, "received %s", m)
			}
			continue
		}
		if wsconn.CloseStatus(err) != code {
			u.t.Failf(expect, "%s", closeText(u.ctx, err))
		}
		return
	}
}

// expectError reads the reply to a bad command and fails unless it has
// messageType typ and status; pushgo's shape also carries "error".
func (u *ua) expectError(typ string, status int, expect string) *msg {
	m := u.read(expect)
	if m.typ() != typ || m.status() != status {
		u.t.Failf(expect, "%s", m)
	}
	if u.t.Profile() == ProfilePushgo && m.str("error") == "" {
		u.t.Failf(expect+` with an "error" text`, "%s", m)
	}
	if u.t.Profile() == ProfileAutopush && m.str("reason") == "" {
		u.t.Failf(expect+` with a "reason" text`, "%s", m)
	}
	return m
}

// close ends the connection politely.
func (u *ua) close() {
	ctx, cancel := context.WithTimeout(u.ctx, 500*time.Millisecond)
	defer cancel()
	_ = u.c.Close(ctx, wsconn.StatusNormalClosure, "")
}

func closeText(ctx context.Context, err error) string {
	switch {
	case wsconn.CloseStatus(err) >= 0:
		return fmt.Sprintf("connection closed with code %d", wsconn.CloseStatus(err))
	case timedOut(ctx, err):
		return "nothing received before the case timeout"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "connection dropped without a close frame"
	}
	return err.Error()
}

// timedOut reports whether a read ended because ctx ended (the read
// deadline set from ctx may fire just before ctx reports it).
func timedOut(ctx context.Context, err error) bool {
	return ctx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded)
}

// jsonEqual reports whether a and b are the same JSON value.
func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}
