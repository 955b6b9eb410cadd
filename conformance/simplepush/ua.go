package spsuite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/appwire/appwire/conformance"
	"github.com/appwire/appwire/conformance/kit"
)

// What SimplePush adds to the kit: one user-agent WebSocket, decoded
// messages, and barriers. Messages are checked with encoding/json and
// byte scans, never with the simplepush codec, so a codec bug cannot hide
// a server bug.

// maxMessage bounds what a case reads of one WebSocket message or body.
const maxMessage = kit.MaxMessage

// Fresh ids: a uaid is a random UUID as 32 lower-case hex digits, a
// channel ID the lower-case dashed form, which every server accepts.
var (
	newUAID = kit.NewUUID
	dashed  = kit.Dashed
	isUUID  = kit.IsUUID // 32 hex or dashed, any case (pushgo's id.Valid)
)

func newChID() string { return dashed(newUAID()) }

// canonical strips dashes and lower-cases, the form uaids are compared in.
func canonical(s string) string { return strings.ToLower(strings.ReplaceAll(s, "-", "")) }

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
	*kit.WS
	t    *conformance.T
	uaid string
	// notes holds the notifications read while waiting for something
	// else, oldest first.
	notes []*msg
}

// dial opens a user-agent socket; a refused upgrade fails the case.
func dial(ctx context.Context, t *conformance.T) *ua {
	w := kit.Dial(ctx, t, wsURL(t), kit.DialOptions{}, "HTTP 101: the WebSocket upgrade is accepted")
	return &ua{WS: w, t: t}
}

// session dials and says hello with a fresh uaid.
func session(ctx context.Context, t *conformance.T) *ua {
	u := dial(ctx, t)
	u.hello("", nil)
	return u
}

// next reads one message. A message that is not a JSON object fails the
// case; err is the read error (close, EOF, timeout).
func (u *ua) next() (*msg, error) {
	raw, err := u.Next()
	if err != nil {
		return nil, err
	}
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
			u.Failed(expect, err)
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
	u.SendJSON(map[string]any{"messageType": "hello", "uaid": uaid, "channelIDs": chids})
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
	u.SendJSON(map[string]any{"messageType": "register", "channelID": chid})
	expect := fmt.Sprintf(`{"messageType":"register","channelID":%q,"status":200,"pushEndpoint":"<url>"}`, chid)
	m := u.reply("register", expect)
	if m.status() != 200 || m.str("channelID") != chid || m.str("pushEndpoint") == "" {
		u.t.Failf(expect, "%s", m)
	}
	return m.str("pushEndpoint")
}

// unregister unregisters chid and expects 200.
func (u *ua) unregister(chid string) {
	u.SendJSON(map[string]any{"messageType": "unregister", "channelID": chid})
	expect := fmt.Sprintf(`{"messageType":"unregister","channelID":%q,"status":200}`, chid)
	m := u.reply("unregister", expect)
	if m.status() != 200 || m.str("channelID") != chid {
		u.t.Failf(expect, "%s", m)
	}
}

// ack acknowledges version of chid.
func (u *ua) ack(chid string, version uint64) {
	u.Send(fmt.Sprintf(`{"messageType":"ack","updates":[{"channelID":%q,"version":%d}]}`, chid, version))
}

// barrier sends an unregister of a channel nobody has (always 200, no
// side effect) and reads until its reply. The server handles one socket's
// messages in order and writes a direct delivery before it answers the
// PUT, so every notification due before the barrier has arrived (in
// notes) when it returns. It returns the other messages seen on the way.
func (u *ua) barrier() []*msg {
	chid := newChID()
	u.SendJSON(map[string]any{"messageType": "unregister", "channelID": chid})
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
			u.Failed(expect, err)
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

// expectClose reads until the server ends the connection (a close frame
// or a dropped connection); any message other than a notification fails
// the case.
func (u *ua) expectClose(expect string) { u.ExpectClose(-1, expect, isNotification) }

// expectCloseCode is expectClose requiring a close frame with code.
func (u *ua) expectCloseCode(code int, expect string) { u.ExpectClose(code, expect, isNotification) }

func isNotification(raw []byte) bool {
	m, err := parseMsg(raw)
	return err == nil && m.typ() == "notification"
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
