package simplepush

import (
	"math"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// TestStateMachine drives a real server (loopback listener, in-memory
// store, fake clock) with random sequences of hello (resumed, fresh,
// unknown uaid), register, unregister, PUT (newer, duplicate, older and
// default versions and 64-bit ones past 2^63, with and without data, to
// registered, unregistered and never-registered channels), ack (latest, older, partial, unknown),
// a second socket taking a uaid over, a repeated hello, disconnect
// (clean or abrupt) and clock advances that fire retransmission, from two
// user agents, in either dialect (drawn per run). The model predicts every PUT status and every message on
// every socket exactly; after each step the store and the server's
// counters must agree with it, and at checkpoints and at the end of
// every run every user agent (and every uaid left behind) reconnects,
// must receive exactly the newest unacked version of each registered
// channel, acks it, and then gets nothing more, retransmission included.
//
// -rapid.checks and -rapid.steps scale it (defaults 100 and 30).
func TestStateMachine(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		d := rapid.SampledFrom([]Dialect{DialectPushgo, DialectAutopush}).Draw(t, "dialect")
		m := &machine{dialect: d, srv: startSMServer(t, d)}
		m.slots = []*mSlot{{name: "A"}, {name: "B"}}
		actions := map[string]func(*rapid.T){
			"":           m.check,
			"connect":    m.connect,
			"takeover":   m.takeover,
			"rehello":    m.rehello,
			"register":   m.register,
			"unregister": m.unregister,
			"put":        m.put,
			"putMore":    m.put, // PUTs are what the rest is about: twice the weight
			"ack":        m.ack,
			"disconnect": m.disconnect,
			"advance":    m.advance,
			"checkpoint": m.checkpoint,
		}
		if smPutDuringFlush {
			actions["putDuringFlush"] = m.putDuringFlush
		}
		t.Repeat(actions)
		m.checkpoint(t)
		m.check(t)
	})
}

// smPutDuringFlush enables the putDuringFlush action: a PUT that lands
// while a flush (hello, ack, retransmission) is between reading the
// pending updates and writing them. It found the server writing the PUT's
// v2 before the flush's v1 (rapid's minimal sequence, pushgo: hello fresh,
// register, disconnect, PUT v1 (202), then putDuringFlush: versions
// arrived as [2 1], v2 acked, v1 left on the user agent for good); conn.dmu
// now orders the two. It stays a constant so the action can be switched
// off while bisecting another failure.
const smPutDuringFlush = true

// machine is the model plus the handles on the real system.
type machine struct {
	dialect Dialect
	srv     *smServer
	slots   []*mSlot
	users   []*mUser // every uaid handed out, including those no slot holds any more
	// retransmitted counts the retransmissions the model expects, to
	// compare with Stats().Retransmitted.
	retransmitted uint64
	unknownUAIDs  int
}

const smChannelsPerUser = 3

func (m *machine) newUser(uaid string) *mUser {
	u := &mUser{uaid: uaid}
	for i := range smChannelsPerUser {
		u.chans = append(u.chans, &mChannel{chid: smChannelID(len(m.users), i)})
	}
	m.users = append(m.users, u)
	return u
}

// holder returns the slot whose socket holds u, or nil.
func (m *machine) holder(u *mUser) *mSlot {
	for _, s := range m.slots {
		if s.user == u && s.sock != nil {
			return s
		}
	}
	return nil
}

func drawChannel(t *rapid.T, u *mUser) *mChannel {
	return u.chans[rapid.IntRange(0, len(u.chans)-1).Draw(t, "channel")]
}

func (m *machine) pickSlot(t *rapid.T, connected bool) *mSlot {
	var ok []*mSlot
	for _, s := range m.slots {
		if (s.sock != nil) == connected {
			ok = append(ok, s)
		}
	}
	if len(ok) == 0 {
		t.Skip("no slot in that state")
	}
	return ok[rapid.IntRange(0, len(ok)-1).Draw(t, "slot")]
}

// sent records that the server wrote a notification to so: the server
// arms its retransmission timer unless it already is.
func (m *machine) sent(so *smSock) {
	if so.retryAt.IsZero() {
		so.retryAt = m.srv.clock.Now().Add(smRetransmit)
	}
}

// expect syncs with so and checks that exactly the notification want
// came (nothing when want is nil), for user u. Before comparing it checks
// the properties the spec states, so a failure names the broken one.
func (m *machine) expect(t *rapid.T, so *smSock, u *mUser, what string, want []Update) {
	got := so.sync(t)
	for _, msg := range got {
		if msg.Type != TypeNotification {
			t.Fatalf("%s: %s: unexpected message %+v", so.name, what, msg)
		}
		seen := map[string]bool{}
		for _, up := range msg.Updates {
			c := u.channel(up.ChannelID)
			switch {
			case c == nil:
				t.Fatalf("%s: %s: update for channel %s of another uaid: %s", so.name, what, up.ChannelID, fmtUpdates(msg.Updates))
			case !c.registered:
				t.Fatalf("%s: %s: update for unregistered channel %s: %s", so.name, what, up.ChannelID, fmtUpdates(msg.Updates))
			case seen[up.ChannelID]:
				t.Fatalf("%s: %s: channel %s twice in one notification: %s", so.name, what, up.ChannelID, fmtUpdates(msg.Updates))
			case c.acked != 0 && up.Version <= c.acked:
				t.Fatalf("%s: %s: version %d of %s at or below the acked %d", so.name, what, up.Version, up.ChannelID, c.acked)
			case up.Version != c.version:
				t.Fatalf("%s: %s: version %d of %s is not the newest stored, %d", so.name, what, up.Version, up.ChannelID, c.version)
			}
			seen[up.ChannelID] = true
		}
	}
	if want == nil {
		if len(got) != 0 {
			t.Fatalf("%s: %s: expected nothing, got %s", so.name, what, fmtUpdates(got[0].Updates))
		}
		return
	}
	if len(got) != 1 {
		t.Fatalf("%s: %s: expected one notification %s, got %d messages", so.name, what, fmtUpdates(want), len(got))
	}
	if !reflect.DeepEqual(got[0].Updates, want) {
		t.Fatalf("%s: %s: got %s, want %s", so.name, what, fmtUpdates(got[0].Updates), fmtUpdates(want))
	}
	for _, up := range want {
		u.channel(up.ChannelID).seen = up.Version
		so.markSent(up)
	}
	m.sent(so)
}

// hello sends a hello on so and checks the reply's uaid (wantUAID ""
// means "a new one", which is returned).
func (m *machine) hello(t *rapid.T, so *smSock, uaid string, chids []string, wantUAID string) string {
	so.sendMsg(t, &ClientMessage{Type: TypeHello, UAID: uaid, HasUAID: true, ChannelIDs: chids, HasChannelIDs: true})
	r := so.recv(t)
	if r.Type != TypeHello || r.Status != 200 || len(r.UAID) != 32 {
		t.Fatalf("%s: hello %q: %+v", so.name, uaid, r)
	}
	if wantUAID != "" && r.UAID != wantUAID {
		t.Fatalf("%s: hello %q: uaid %s, want %s", so.name, uaid, r.UAID, wantUAID)
	}
	if wantUAID == "" {
		if strings.EqualFold(r.UAID, strings.ReplaceAll(uaid, "-", "")) {
			t.Fatalf("%s: hello %q: expected a new uaid, kept it", so.name, uaid)
		}
		for _, u := range m.users {
			if u.uaid == r.UAID {
				t.Fatalf("%s: hello: new uaid %s was handed out before", so.name, r.UAID)
			}
		}
	}
	return r.UAID
}

// waitGone waits until the server has finished with u's socket: out of
// its maps and the store's route cleared.
func (m *machine) waitGone(t *rapid.T, u *mUser) {
	waitFor(t, "the server to drop "+u.uaid, func() bool {
		if m.srv.s.local(u.uaid) != nil {
			return false
		}
		r, err := m.srv.store.Route(t.Context(), u.uaid)
		return err == nil && r.Node == ""
	})
}

// connect: a disconnected user agent opens a socket and says hello,
// resuming its uaid (as given or upper-cased/dashed, which the server
// normalises), starting fresh, or claiming a uaid the server never
// handed out (kept without channelIDs, reset with them).
func (m *machine) connect(t *rapid.T) {
	sl := m.pickSlot(t, false)
	so := m.srv.dial(t, sl.name)
	kinds := []string{"fresh", "unknown", "unknownWithChannels"}
	if sl.user != nil {
		kinds = append(kinds, "resume", "resume", "resumeOtherForm")
	}
	switch kind := rapid.SampledFrom(kinds).Draw(t, "hello"); kind {
	case "resume", "resumeOtherForm":
		id := sl.user.uaid
		if kind == "resumeOtherForm" {
			id = strings.ToUpper(id[:8] + "-" + id[8:12] + "-" + id[12:16] + "-" + id[16:20] + "-" + id[20:])
		}
		if kind == "resumeOtherForm" && m.dialect == DialectAutopush {
			// autopush takes only 32 lower-case hex digits: a new uaid.
			sl.user = m.newUser(m.hello(t, so, id, sl.user.registeredIDs(), ""))
			break
		}
		m.hello(t, so, id, sl.user.registeredIDs(), sl.user.uaid)
	case "fresh":
		sl.user = m.newUser(m.hello(t, so, "", nil, ""))
	case "unknown":
		m.unknownUAIDs++
		id := strconv.FormatInt(int64(m.unknownUAIDs), 16)
		id = "feed" + strings.Repeat("0", 28-len(id)) + id
		if m.dialect == DialectAutopush {
			// autopush resets any uaid it has no record of.
			sl.user = m.newUser(m.hello(t, so, id, nil, ""))
			break
		}
		m.hello(t, so, id, nil, id)
		sl.user = m.newUser(id)
	case "unknownWithChannels":
		m.unknownUAIDs++
		id := strconv.FormatInt(int64(m.unknownUAIDs), 16)
		id = "beef" + strings.Repeat("0", 28-len(id)) + id
		sl.user = m.newUser(m.hello(t, so, id, []string{smChannelID(999, 0)}, ""))
	}
	sl.sock = so
	m.expect(t, so, sl.user, "flush after hello", sl.user.pending())
}

// takeover: a second socket says hello with the uaid of a connected one;
// the newest wins and the older is closed (1000) with nothing sent first.
func (m *machine) takeover(t *rapid.T) {
	sl := m.pickSlot(t, true)
	old := sl.sock
	so := m.srv.dial(t, sl.name+"'")
	m.hello(t, so, sl.user.uaid, sl.user.registeredIDs(), sl.user.uaid)
	if code := old.closedByServer(t); code != 1000 {
		t.Fatalf("%s: older socket closed with %d, want 1000", old.name, code)
	}
	so.name = sl.name
	sl.sock = so
	m.expect(t, so, sl.user, "flush after hello on the newer socket", sl.user.pending())
}

// rehello: hello again on a helloed socket. pushgo: same or empty uaid
// answers 200 with the current one and flushes; another uaid is 503 and
// the socket closes. autopush: 401 "duplicate hello", nothing else, the
// socket stays.
func (m *machine) rehello(t *rapid.T) {
	sl := m.pickSlot(t, true)
	so := sl.sock
	kind := rapid.SampledFrom([]string{"same", "empty", "other"}).Draw(t, "uaid")
	if m.dialect == DialectAutopush {
		id := map[string]string{"same": sl.user.uaid, "other": NewUAID()}[kind]
		so.sendMsg(t, &ClientMessage{Type: TypeHello, UAID: id, HasUAID: true, HasChannelIDs: true})
		if r := so.recv(t); r.Type != TypeHello || r.Status != 401 || r.Reason != "duplicate hello" {
			t.Fatalf("%s: repeated hello: %+v, want 401 duplicate hello", so.name, r)
		}
		m.expect(t, so, sl.user, "after a duplicate hello", nil)
		return
	}
	switch kind {
	case "same":
		m.hello(t, so, sl.user.uaid, nil, sl.user.uaid)
	case "empty":
		m.hello(t, so, "", nil, sl.user.uaid)
	case "other":
		so.sendMsg(t, &ClientMessage{Type: TypeHello, UAID: NewUAID(), HasUAID: true, HasChannelIDs: true})
		if r := so.recv(t); r.Type != TypeHello || r.Status != 503 {
			t.Fatalf("%s: hello with another uaid: %+v, want 503", so.name, r)
		}
		if code := so.closedByServer(t); code != 1000 {
			t.Fatalf("%s: closed with %d after 503, want 1000", so.name, code)
		}
		sl.sock = nil
		m.waitGone(t, sl.user)
		return
	}
	m.expect(t, so, sl.user, "flush after repeated hello", sl.user.pending())
}

// register: 200 with an endpoint, idempotent; a deleted channel starts
// over at version 0.
func (m *machine) register(t *rapid.T) {
	sl := m.pickSlot(t, true)
	c := drawChannel(t, sl.user)
	sl.sock.sendMsg(t, &ClientMessage{Type: TypeRegister, ChannelID: c.chid, HasChannelID: true})
	r := sl.sock.recv(t)
	if r.Type != TypeRegister || r.Status != 200 || r.ChannelID != c.chid || r.PushEndpoint == "" {
		t.Fatalf("%s: register %s: %+v", sl.name, c.chid, r)
	}
	if !c.registered {
		c.registered, c.version, c.acked, c.seen = true, 0, 0, 0
	}
	c.endpoints = append(c.endpoints, r.PushEndpoint)
}

// unregister: always 200; a channel of another uaid is left alone.
func (m *machine) unregister(t *rapid.T) {
	sl := m.pickSlot(t, true)
	var c *mChannel
	chid := ""
	if other := m.otherChannels(sl.user); len(other) > 0 && rapid.IntRange(0, 4).Draw(t, "foreign") == 0 {
		chid = rapid.SampledFrom(other).Draw(t, "foreignChannel")
	} else {
		c = drawChannel(t, sl.user)
		chid = c.chid
	}
	sl.sock.sendMsg(t, &ClientMessage{Type: TypeUnregister, ChannelID: chid, HasChannelID: true})
	r := sl.sock.recv(t)
	if r.Type != TypeUnregister || r.Status != 200 || r.ChannelID != chid {
		t.Fatalf("%s: unregister %s: %+v", sl.name, chid, r)
	}
	if c != nil && c.registered {
		c.registered, c.version, c.acked, c.seen = false, 0, 0, 0
	}
}

// otherChannels lists registered channel IDs of every other user.
func (m *machine) otherChannels(u *mUser) []string {
	var out []string
	for _, o := range m.users {
		if o != u {
			out = append(out, o.registeredIDs()...)
		}
	}
	return out
}

// put: an app server PUTs to some user's channel. Registered: 200 when
// its socket is connected (and the update is written to it first if the
// version is newer than the stored one; an equal or older one is
// neither stored nor sent), 202 otherwise. Unregistered, never
// registered or unknown uaid: 410, nothing sent.
func (m *machine) put(t *rapid.T) {
	if len(m.users) == 0 {
		t.Skip("no uaid yet")
	}
	u := m.users[rapid.IntRange(0, len(m.users)-1).Draw(t, "user")]
	c := drawChannel(t, u)
	var ep string
	switch {
	case len(c.endpoints) > 0:
		ep = c.endpoints[rapid.IntRange(0, len(c.endpoints)-1).Draw(t, "endpoint")]
	case rapid.Bool().Draw(t, "unknownUAID"):
		tok, err := m.srv.s.Tokens().Seal(NewUAID(), c.chid)
		if err != nil {
			t.Fatal(err)
		}
		ep = m.srv.http + DefaultEndpointPath + tok
	default:
		tok, err := m.srv.s.Tokens().Seal(u.uaid, c.chid) // a channel never registered
		if err != nil {
			t.Fatal(err)
		}
		ep = m.srv.http + DefaultEndpointPath + tok
	}
	form := url.Values{}
	var v uint64
	switch rapid.SampledFrom([]string{"newer", "newer", "newer", "same", "older", "default", "huge"}).Draw(t, "version") {
	case "newer":
		v = c.version + rapid.Uint64Range(1, 3).Draw(t, "step")
		if v < c.version { // wrapped past 2^64-1: nothing is newer
			v = c.version
		}
	case "huge": // 64-bit versions beyond 2^53 must survive form, store and JSON
		v = rapid.Uint64Range(1<<63, math.MaxUint64).Draw(t, "huge")
	case "same":
		v = c.version
	case "older":
		v = rapid.Uint64Range(0, c.version).Draw(t, "older")
	case "default": // no version: the server's clock, in seconds
		v = uint64(m.srv.clock.Now().Unix())
	}
	if v != uint64(m.srv.clock.Now().Unix()) {
		form.Set("version", strconv.FormatUint(v, 10))
	}
	data := ""
	if rapid.Bool().Draw(t, "withData") {
		data = rapid.StringN(0, 12, -1).Draw(t, "data")
		form.Set("data", data)
	}
	st := m.srv.put(t, ep, form.Encode())
	h := m.holder(u)
	switch {
	case len(c.endpoints) == 0 || !c.registered:
		if st != 410 {
			t.Fatalf("PUT v%d to an unregistered channel: %d, want 410", v, st)
		}
		if h != nil {
			m.expect(t, h.sock, u, "after a PUT to an unregistered channel", nil)
		}
	case h == nil:
		if st != 202 {
			t.Fatalf("PUT v%d with no socket: %d, want 202", v, st)
		}
		c.version = max(c.version, v)
	default:
		if st != 200 {
			t.Fatalf("PUT v%d with a socket: %d, want 200", v, st)
		}
		switch {
		case v > c.version:
			c.version = v
			m.expect(t, h.sock, u, "direct delivery", []Update{{ChannelID: c.chid, Version: v, Data: data}})
		case m.dialect == DialectPushgo:
			// pushgo forwards every PUT, an older version too; the
			// store keeps the newest.
			up := Update{ChannelID: c.chid, Version: v, Data: data}
			got := h.sock.sync(t)
			if len(got) != 1 || got[0].Type != TypeNotification || !reflect.DeepEqual(got[0].Updates, []Update{up}) {
				t.Fatalf("%s: pushgo PUT of a version not newer than the stored one: got %d messages %v, want %s", h.sock.name, len(got), got, fmtUpdates([]Update{up}))
			}
			c.seen = max(c.seen, v)
			h.sock.markSent(up)
			m.sent(h.sock)
		default:
			m.expect(t, h.sock, u, "PUT of a version not newer than the stored one", nil)
		}
	}
}

// ack: a connected user agent acks some channels (the newest version it
// saw, an older one, a channel with nothing pending, one it never had),
// then the server flushes whatever is still pending.
func (m *machine) ack(t *rapid.T) {
	sl := m.pickSlot(t, true)
	n := rapid.IntRange(1, 3).Draw(t, "n")
	var ups []Update
	for range n {
		c := drawChannel(t, sl.user)
		var v uint64
		switch rapid.SampledFrom([]string{"latest", "latest", "older", "unknown"}).Draw(t, "ack") {
		case "latest":
			v = c.seen
		case "older":
			v = rapid.Uint64Range(0, c.seen).Draw(t, "older")
		case "unknown":
			ups = append(ups, Update{ChannelID: smChannelID(998, len(ups)), Version: c.seen})
			continue
		}
		ups = append(ups, Update{ChannelID: c.chid, Version: v})
		if c.registered && c.version > 0 && v >= c.version {
			c.acked = c.version
		}
	}
	for _, up := range ups {
		if sv, ok := sl.sock.sent[up.ChannelID]; ok && up.Version >= sv {
			delete(sl.sock.sent, up.ChannelID)
		}
	}
	sl.sock.sendMsg(t, &ClientMessage{Type: TypeAck, Updates: ups, HasUpdates: true})
	// The flush after an ack carries only what this socket was not sent.
	m.expect(t, sl.sock, sl.user, "flush after ack "+fmtUpdates(ups), sl.sock.unsent(sl.user.pending()))
}

// putDuringFlush: a disconnected user agent with an update pending says
// hello again, and a newer PUT to that channel arrives after the hello
// flush read the pending updates but before it wrote them. The user
// agent acks the newest version it has seen as soon as it sees it.
// Whatever the order of the two writes, the versions of that channel
// must arrive in increasing order and the last must be the newest (the
// correct order is the flush's older version, then the PUT's newer one).
func (m *machine) putDuringFlush(t *rapid.T) {
	sl := m.pickSlot(t, false)
	if sl.user == nil || sl.user.pending() == nil {
		t.Skip("nothing pending")
	}
	var c *mChannel
	for _, ch := range sl.user.chans {
		if ch.pending() && ch.version < math.MaxUint64 {
			c = ch
		}
	}
	if c == nil {
		t.Skip("no version left")
	}
	read, release := m.srv.gate.arm()
	so := m.srv.dial(t, sl.name)
	m.hello(t, so, sl.user.uaid, sl.user.registeredIDs(), sl.user.uaid)
	sl.sock = so
	<-read
	v := c.version + 1
	c.version = v
	status := make(chan int, 1)
	go func() {
		ctx, cancel := ioCtx()
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPut, c.endpoints[0], strings.NewReader("version="+strconv.FormatUint(v, 10)))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := m.srv.client.Do(req)
		if err != nil {
			status <- 0
			return
		}
		resp.Body.Close()
		status <- resp.StatusCode
	}()
	// The server as it is answers the PUT while the flush waits; a server
	// that serialises them answers it after. Bound the wait for the first.
	var st int
	select {
	case st = <-status:
		close(release)
	case <-time.After(100 * time.Millisecond):
		close(release)
		st = <-status
	}
	if st != 200 {
		t.Fatalf("PUT v%d during a flush: %d, want 200", v, st)
	}
	// Every other channel's update here is the flush's, which must be
	// the newest version.
	saw := func(up Update) {
		so.markSent(up) // the server remembers what it wrote, this too
		if ch := sl.user.channel(up.ChannelID); ch != nil && ch != c {
			if !ch.registered || up.Version != ch.version {
				t.Fatalf("%s: flush carried %s v%d, model %v v%d", so.name, up.ChannelID, up.Version, ch.registered, ch.version)
			}
			ch.seen = up.Version
		}
	}
	var order []uint64
	for len(order) == 0 || order[len(order)-1] != v {
		msg := so.recv(t)
		if msg.Type != TypeNotification {
			t.Fatalf("%s: unexpected %+v", so.name, msg)
		}
		for _, up := range msg.Updates {
			saw(up)
			if up.ChannelID == c.chid {
				order = append(order, up.Version)
				if up.Version == v {
					so.sendMsg(t, &ClientMessage{Type: TypeAck, Updates: []Update{up}, HasUpdates: true})
				}
			}
		}
	}
	c.acked, c.seen = v, v
	for _, msg := range so.sync(t) {
		for _, up := range msg.Updates {
			saw(up)
			if up.ChannelID == c.chid {
				order = append(order, up.Version)
			}
		}
	}
	if !slices.IsSorted(order) || order[len(order)-1] != v {
		t.Fatalf("%s: versions of %s arrived as %v around a PUT of %d during the hello flush; the user agent ends at %d", so.name, c.chid, order, v, order[len(order)-1])
	}
	if so.sent[c.chid] <= v { // the ack of v
		delete(so.sent, c.chid)
	}
	m.sent(so)
}

// disconnect: the user agent closes its socket, cleanly or not.
func (m *machine) disconnect(t *rapid.T) {
	sl := m.pickSlot(t, true)
	if rapid.Bool().Draw(t, "clean") {
		ctx, cancel := ioCtx()
		_ = sl.sock.ws.Close(ctx, 1000, "")
		cancel()
	} else {
		_ = sl.sock.ws.CloseNow()
	}
	sl.sock = nil
	m.waitGone(t, sl.user)
}

// advance moves the fake clock. A socket's retransmission timer fires
// once its interval has passed since it was armed (by any notification
// written while it was not armed); it resends everything pending and
// re-arms, or stops when nothing is pending.
func (m *machine) advance(t *rapid.T) {
	d := rapid.SampledFrom([]time.Duration{smRetransmit, smRetransmit / 2, smRetransmit - time.Second, 3 * smRetransmit}).Draw(t, "by")
	m.advanceBy(t, d, m.slots)
}

// advanceBy moves the clock by d and checks what the sockets of slots
// get; it returns the slots that got a retransmission.
func (m *machine) advanceBy(t *rapid.T, d time.Duration, slots []*mSlot) map[*mSlot]bool {
	m.srv.clock.Advance(d)
	now := m.srv.clock.Now()
	got := map[*mSlot]bool{}
	for _, sl := range slots {
		so := sl.sock
		if so == nil {
			continue
		}
		var want []Update
		if !so.retryAt.IsZero() && !now.Before(so.retryAt) {
			so.retryAt = time.Time{}
			if want = sl.user.pending(); want != nil {
				m.retransmitted++
				got[sl] = true
			}
		}
		m.expect(t, so, sl.user, "retransmission after "+d.String(), want)
	}
	return got
}

// checkpoint is the eventual-delivery property: every user agent and
// every uaid left behind connects (or, if connected, reconnects, says
// hello again or waits for retransmission), receives exactly the newest
// unacked version of each registered channel, acks all of it, and then
// gets nothing more, neither at once nor from retransmission.
func (m *machine) checkpoint(t *rapid.T) {
	var connected []*mSlot
	for _, sl := range m.slots {
		if sl.sock != nil {
			connected = append(connected, sl)
		}
	}
	hows := []string{"reconnect", "retransmit"}
	if m.dialect == DialectPushgo {
		hows = append(hows, "rehello")
	}
	switch how := rapid.SampledFrom(hows).Draw(t, "how"); how {
	case "reconnect":
		for _, sl := range connected {
			ctx, cancel := ioCtx()
			_ = sl.sock.ws.Close(ctx, 1000, "")
			cancel()
			sl.sock = nil
			m.waitGone(t, sl.user)
		}
	case "rehello":
		for _, sl := range connected {
			m.hello(t, sl.sock, sl.user.uaid, nil, sl.user.uaid)
			m.expect(t, sl.sock, sl.user, "eventual delivery on repeated hello", sl.user.pending())
		}
	case "retransmit":
		got := m.advanceBy(t, smRetransmit, m.slots)
		for _, sl := range connected {
			if p := sl.user.pending(); p != nil && !got[sl] {
				t.Fatalf("%s: %s pending but not retransmitted after %v", sl.name, fmtUpdates(p), smRetransmit)
			}
		}
	}
	var temps []*mSlot
	for _, u := range m.users {
		if m.holder(u) != nil {
			continue
		}
		var sl *mSlot
		for _, s := range m.slots {
			if s.user == u {
				sl = s
			}
		}
		if sl == nil {
			sl = &mSlot{name: "orphan " + u.uaid[:6], user: u}
			temps = append(temps, sl)
		}
		sl.sock = m.srv.dial(t, sl.name)
		m.hello(t, sl.sock, u.uaid, u.registeredIDs(), u.uaid)
		m.expect(t, sl.sock, u, "eventual delivery on hello", u.pending())
	}
	all := append(append([]*mSlot{}, m.slots...), temps...)
	for _, sl := range all {
		if sl.sock == nil {
			continue
		}
		var ups []Update
		for _, c := range sl.user.chans {
			if c.pending() {
				if c.seen != c.version {
					t.Fatalf("%s: channel %s: newest version %d never delivered (saw %d)", sl.name, c.chid, c.version, c.seen)
				}
				ups = append(ups, Update{ChannelID: c.chid, Version: c.seen})
				c.acked = c.version
			}
		}
		if ups != nil {
			sl.sock.sendMsg(t, &ClientMessage{Type: TypeAck, Updates: ups, HasUpdates: true})
			m.expect(t, sl.sock, sl.user, "after acking everything", nil)
		}
	}
	if got := m.advanceBy(t, 3*smRetransmit, all); len(got) > 0 {
		t.Fatalf("retransmission after everything was acked")
	}
	for _, sl := range temps {
		_ = sl.sock.ws.CloseNow()
		sl.sock = nil
		m.waitGone(t, sl.user)
	}
}

// check compares the store and the server's counters with the model.
func (m *machine) check(t *rapid.T) {
	ctx := t.Context()
	store := m.srv.store
	open := 0
	for _, sl := range m.slots {
		if sl.sock != nil {
			open++
		}
	}
	if st := m.srv.s.Stats(); st.Conns != open || st.Helloed != open || st.Retransmitted != m.retransmitted {
		t.Fatalf("stats %+v, want %d open and helloed, %d retransmitted", st, open, m.retransmitted)
	}
	for _, u := range m.users {
		r, err := store.Route(ctx, u.uaid)
		if err != nil {
			t.Fatal(err)
		}
		if connected := m.holder(u) != nil; connected != (r.Node != "") {
			t.Fatalf("uaid %s: route %+v, connected %v", u.uaid, r, connected)
		}
		for _, c := range u.chans {
			st, v, err := store.Channel(ctx, u.uaid, c.chid)
			if err != nil {
				t.Fatal(err)
			}
			want := StateNone
			switch {
			case c.registered && c.version > 0:
				want = StateLive
			case c.registered:
				want = StateRegistered
			case len(c.endpoints) > 0:
				want = StateDeleted
			}
			if st != want || v != c.version {
				t.Fatalf("uaid %s channel %s: store %v v%d, model %v v%d", u.uaid, c.chid, st, v, want, c.version)
			}
		}
		p, err := store.Pending(ctx, u.uaid, nil)
		if err != nil {
			t.Fatal(err)
		}
		if want := u.pending(); !reflect.DeepEqual(p, want) {
			t.Fatalf("uaid %s: store pending %s, model %s", u.uaid, fmtUpdates(p), fmtUpdates(want))
		}
	}
}
