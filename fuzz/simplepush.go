package fuzz

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/appwire/appwire/internal/wsconn"
	gofuzz "github.com/google/gofuzz"
)

// SimplePush fuzzes the push server whose user-agent WebSocket is target
// ("ws://HOST:PORT/") for opts.Duration or opts.MaxInputs inputs. Two
// inputs in three are WebSocket messages on a fresh socket: mutated hello,
// register and ack messages (after a valid hello for the last two), and
// text that is not JSON; one in three is an HTTP request to a channel's
// endpoint: valid PUTs, mutated tokens, versions and data, other methods,
// oversized bodies and garbage request lines.
//
// Only what both upstream dialects (pushgo and autopush) do is checked
// (docs/protocols/simplepush.md): every server message is a JSON object;
// a well-formed hello is answered 200; a well-formed register is answered
// 200 with an endpoint; a well-formed ack gets no reply and the socket
// stays usable (a ping is answered); text that is not JSON closes the
// socket without a reply; a valid PUT is answered 200 or 202, oversized
// data a 4xx, and nothing an endpoint receives gets a 5xx (except 505/501
// where RFC 9110 says so). After every batch a fresh user agent must
// complete hello, register and a PUT.
func SimplePush(ctx context.Context, target string, opts Options) (Report, error) {
	opts = opts.withDefaults()
	s := &spRunner{opts: opts, target: target}
	if err := s.parseTarget(); err != nil {
		return Report{Target: target, Seed: opts.Seed}, err
	}
	return run(ctx, target, opts, s)
}

// spRunner is one run of SimplePush.
type spRunner struct {
	opts   Options
	target string
	host   string // host:port the endpoints are reached at
	// endpoint is the path of a channel registered by the first probe;
	// HTTP inputs PUT to it.
	endpoint string
}

func (s *spRunner) parseTarget() error {
	u, err := url.Parse(s.target)
	if err != nil || u.Host == "" {
		return fmt.Errorf("fuzz: bad target %q: want the push server's WebSocket URL, ws://HOST:PORT/", s.target)
	}
	switch u.Scheme {
	case "ws":
	case "wss":
		return errors.New("fuzz: wss:// targets are not supported; fuzz the plain endpoint")
	default:
		return fmt.Errorf("fuzz: bad target scheme %q: want ws://HOST:PORT/", u.Scheme)
	}
	if u.Port() == "" {
		return fmt.Errorf("fuzz: target %q has no port", s.target)
	}
	s.host = u.Host
	return nil
}

func (s *spRunner) probeRule() string {
	return "a fresh user agent completes hello, register and a PUT to its endpoint (200 or 202)"
}

// probe runs one user agent through hello, register and a PUT.
func (s *spRunner) probe(ctx context.Context) error {
	c, err := wsconn.Dial(ctx, s.target, wsconn.DialOptions{})
	if err != nil {
		return fmt.Errorf("websocket: %w", err)
	}
	defer c.CloseNow()
	if _, err := spExchange(ctx, c, []byte(`{"messageType":"hello","uaid":"","channelIDs":[]}`), "hello"); err != nil {
		return err
	}
	chid := uuidString(rand.New(rand.NewSource(time.Now().UnixNano())), true)
	reply, err := spExchange(ctx, c, []byte(`{"messageType":"register","channelID":"`+chid+`"}`), "register")
	if err != nil {
		return err
	}
	ep, _ := reply["pushEndpoint"].(string)
	u, err := url.Parse(ep)
	if err != nil || u.Path == "" {
		return fmt.Errorf("register reply has no usable pushEndpoint: %q", ep)
	}
	status, err := s.put(ctx, u.EscapedPath(), "version=1")
	if err != nil {
		return fmt.Errorf("PUT %s: %w", u.Path, err)
	}
	if status != http.StatusOK && status != http.StatusAccepted {
		return fmt.Errorf("PUT %s: HTTP %d", u.Path, status)
	}
	if s.endpoint == "" {
		s.endpoint = u.EscapedPath() // set before any input runs
	}
	return nil
}

// spExchange sends msg and returns the first reply whose messageType is
// want, skipping notifications; the reply must have status 200.
func spExchange(ctx context.Context, c *wsconn.Conn, msg []byte, want string) (map[string]any, error) {
	if err := c.WriteText(ctx, msg); err != nil {
		return nil, fmt.Errorf("%s: %w", want, err)
	}
	for {
		_, b, err := c.ReadMessage(ctx, nil)
		if err != nil {
			return nil, fmt.Errorf("%s: no reply: %w", want, err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("%s: reply %s is not a JSON object", want, quoteShort(b, 200))
		}
		if mt, _ := m["messageType"].(string); strings.EqualFold(mt, "notification") {
			continue
		}
		if mt, _ := m["messageType"].(string); !strings.EqualFold(mt, want) || m["status"] != float64(200) {
			return nil, fmt.Errorf("%s: reply %s", want, quoteShort(b, 200))
		}
		return m, nil
	}
}

// put sends one PUT to path with a form body and returns the status.
func (s *spRunner) put(ctx context.Context, path, body string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, "http://"+s.host+path, strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	return resp.StatusCode, nil
}

// spExpect is what the server must do with a WebSocket input.
type spExpect uint8

const (
	spNothing  spExpect = iota // stay up; every message a JSON object
	spHello                    // a hello reply with status 200
	spRegister                 // a register reply with status 200 and a pushEndpoint
	spSilent                   // no reply; a ping sent next is answered
	spClose                    // the socket closes without a reply
)

var spExpectText = [...]string{
	spNothing:  "nothing (stay up, send only JSON objects)",
	spHello:    "a hello reply with status 200",
	spRegister: "a register reply with status 200 and a pushEndpoint",
	spSilent:   "no reply, and the ping sent next answered",
	spClose:    "a close without a reply",
}

var spRules = [...]string{
	spNothing:  "simplepush §3: every server message is a JSON object",
	spHello:    "simplepush §3.1: a well-formed hello (any uaid string) is answered with status 200",
	spRegister: "simplepush §3.2: a register of a lower-case dashed UUID is answered 200 with a pushEndpoint",
	spSilent:   "simplepush §3.5, §3.6: an ack gets no reply and the socket stays usable: a ping is answered",
	spClose:    "simplepush §3.7: a message that is not JSON closes the socket without a reply",
}

// spInput is a generated WebSocket input.
type spInput struct {
	Input
	afterHello bool // a valid hello is exchanged first
	expect     spExpect
}

// spSpec is the structured part of a message, filled by gofuzz.
type spSpec struct {
	Kind        uint8 // which member layout
	TypeCase    uint8 // 0 exact, 1 upper, 2 mixed, 3 other type
	UAIDKind    uint8 // 0 "", 1 hex, 2 dashed, 3 garbage string, 4 number, 5 null, 6 missing
	UAID        string
	NChids      uint8
	ChidKind    uint8 // 0 dashed lower, 1 hex, 2 upper, 3 garbage, 4 number
	Garbage     string
	Version     int64
	VersionKind uint8 // 0 integer, 1 string, 2 float, 3 negative, 4 missing, 5 huge
	Extra       map[string]string
	NameCase    bool // member names upper-cased
}

// genSPWS generates WebSocket input index: a mutated hello, register,
// ack, or text that is not JSON.
func genSPWS(seed int64, index int) *spInput {
	rng := rngFor(seed, index)
	var sp spSpec
	gofuzz.New().RandSource(rng).NilChance(0.3).NumElements(0, 3).Fuzz(&sp)
	in := &spInput{Input: Input{Index: index, Transport: "ws"}}
	wellFormed := rng.Intn(2) == 0
	if wellFormed { // half the messages start well-formed, so rules about them are reached
		sp.TypeCase, sp.NameCase, sp.Extra, sp.ChidKind, sp.VersionKind, sp.Kind = 0, false, nil, 0, 0, 1
		if sp.UAIDKind%7 == 4 {
			sp.UAIDKind = 0
		}
	}
	var msg []byte
	switch k := rng.Intn(10); {
	case k < 4:
		msg, in.expect = spHelloMsg(rng, &sp), spNothing
		in.Mutation = "hello"
	case k < 7:
		msg, in.expect = spRegisterMsg(rng, &sp), spNothing
		in.Mutation, in.afterHello = "register", true
	case k < 9:
		msg, in.expect = spAckMsg(rng, &sp), spNothing
		in.Mutation, in.afterHello = "ack", true
	default:
		texts := []string{"hello", "not json", "{", `{"messageType":"hello"`, "[1,2", "nul", `"unterminated`, "{]", "}{", "\tx"}
		msg, in.expect = []byte(texts[rng.Intn(len(texts))]), spClose
		in.Mutation, in.afterHello = "not-json", rng.Intn(2) == 0
	}
	if in.expect != spClose && rng.Intn(3) == 0 {
		mut := jsonMutations[rng.Intn(len(jsonMutations))]
		msg = mut.fn(rng, msg)
		in.Mutation += "+" + mut.name
	}
	if len(msg) > DefaultMaxMessage {
		msg = msg[:DefaultMaxMessage]
	}
	in.Message = msg
	// What is mandated depends on what the message really is after the
	// mutations: classify the bytes, not the intent.
	switch spClassify(msg) {
	case "hello":
		if !in.afterHello {
			in.expect = spHello
		}
	case "register":
		if in.afterHello {
			in.expect = spRegister
		}
	case "ack":
		if in.afterHello {
			in.expect = spSilent
		}
	case "not-json":
		in.expect = spClose
	default:
		in.expect = spNothing
	}
	// Fragmenting a message keeps it the same message (RFC 6455 §5.4).
	if rng.Intn(5) == 0 && len(msg) > 1 {
		parts := 2 + rng.Intn(3)
		for i := 0; i < parts; i++ {
			lo, hi := len(msg)*i/parts, len(msg)*(i+1)/parts
			op := byte(opContinuation)
			if i == 0 {
				op = opText
			}
			in.Wire = appendFrame(in.Wire, rng, i == parts-1, 0, op, false, msg[lo:hi])
		}
		in.Mutation = "fragment+" + in.Mutation
	} else {
		in.Wire = appendFrame(nil, rng, true, 0, opText, false, msg)
	}
	in.Expect = spExpectText[in.expect]
	return in
}

// spClassify says what a message is, as both dialects read it: "hello",
// "register" or "ack" when it is exactly well-formed, "not-json" when it
// is valid UTF-8 but not JSON, else "".
func spClassify(msg []byte) string {
	if len(bytes.TrimSpace(msg)) == 0 {
		return "" // pushgo skips empty messages; nothing is mandated
	}
	if !utf8.Valid(msg) {
		return "" // RFC 6455 §8.1: the connection fails (1007); no SimplePush rule
	}
	if !json.Valid(msg) {
		return "not-json"
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(msg, &m) != nil {
		return ""
	}
	d := json.NewDecoder(bytes.NewReader(msg))
	d.UseNumber()
	var obj map[string]any
	if d.Decode(&obj) != nil || hasDuplicateKeys(msg) {
		return ""
	}
	mt, _ := obj["messageType"].(string)
	switch mt {
	case "hello":
		for k := range obj {
			if k != "messageType" && k != "uaid" && k != "channelIDs" {
				return "" // extra members may be ignored, but pushgo matches names loosely
			}
		}
		if u, ok := obj["uaid"]; ok && u != nil {
			if _, ok := u.(string); !ok {
				return ""
			}
		}
		ids, ok := obj["channelIDs"].([]any)
		if !ok || len(ids) > 200 {
			return ""
		}
		for _, id := range ids {
			if s, ok := id.(string); !ok || !isDashedUUID(s) {
				return ""
			}
		}
		return "hello"
	case "register":
		if len(obj) != 2 {
			return ""
		}
		if s, ok := obj["channelID"].(string); ok && isDashedUUID(s) {
			return "register"
		}
	case "ack":
		if len(obj) != 2 {
			return ""
		}
		ups, ok := obj["updates"].([]any)
		if !ok || len(ups) == 0 { // pushgo: an empty list is a missing field (401)
			return ""
		}
		for _, u := range ups {
			m, ok := u.(map[string]any)
			if !ok || len(m) != 2 {
				return ""
			}
			s, ok := m["channelID"].(string)
			v, vok := m["version"].(json.Number)
			if !ok || !isDashedUUID(s) || !vok {
				return ""
			}
			if n, err := strconv.ParseUint(v.String(), 10, 63); err != nil || n == 0 {
				return ""
			}
		}
		return "ack"
	}
	return ""
}

// hasDuplicateKeys reports whether a JSON object repeats a member name
// at its top level (decoders disagree on which one wins).
func hasDuplicateKeys(msg []byte) bool {
	d := json.NewDecoder(bytes.NewReader(msg))
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return false
	}
	seen := map[string]bool{}
	for d.More() {
		t, err := d.Token()
		if err != nil {
			return false
		}
		k, _ := t.(string)
		if seen[strings.ToLower(k)] {
			return true
		}
		seen[strings.ToLower(k)] = true
		var skip json.RawMessage
		if d.Decode(&skip) != nil {
			return false
		}
	}
	return false
}

func isDashedUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
	}
	return true
}

// uuidString returns a random UUID, dashed or as 32 hex digits.
func uuidString(rng *rand.Rand, dashed bool) string {
	var b [16]byte
	for i := range b {
		b[i] = byte(rng.Intn(256))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := fmt.Sprintf("%x", b[:])
	if !dashed {
		return h
	}
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func spType(sp *spSpec, name string) string {
	switch sp.TypeCase % 4 {
	case 1:
		return strings.ToUpper(name)
	case 2:
		return strings.ToUpper(name[:1]) + name[1:]
	case 3:
		return []string{"", "helo", "notification", "ping", "purge", "nack", "unregister"}[int(sp.Kind)%7]
	}
	return name
}

func spName(sp *spSpec, name string) string {
	if sp.NameCase {
		return strings.ToUpper(name)
	}
	return name
}

func spChid(rng *rand.Rand, sp *spSpec) string {
	switch sp.ChidKind % 5 {
	case 1:
		return strconv.Quote(uuidString(rng, false))
	case 2:
		return strconv.Quote(strings.ToUpper(uuidString(rng, true)))
	case 3:
		return jsonString(sp.Garbage)
	case 4:
		return strconv.Itoa(rng.Intn(1000))
	}
	return strconv.Quote(uuidString(rng, true))
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// members builds a JSON object from name/value pairs in order, plus the
// spec's extra members.
func members(sp *spSpec, kv ...string) []byte {
	var b strings.Builder
	b.WriteByte('{')
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(jsonString(kv[i]))
		b.WriteByte(':')
		b.WriteString(kv[i+1])
	}
	for _, k := range slices.Sorted(maps.Keys(sp.Extra)) { // sorted: inputs depend on the seed only
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		b.WriteString(jsonString(k) + ":" + jsonString(sp.Extra[k]))
	}
	b.WriteByte('}')
	return []byte(b.String())
}

func spHelloMsg(rng *rand.Rand, sp *spSpec) []byte {
	kv := []string{spName(sp, "messageType"), jsonString(spType(sp, "hello"))}
	switch sp.UAIDKind % 7 {
	case 0:
		kv = append(kv, spName(sp, "uaid"), `""`)
	case 1:
		kv = append(kv, spName(sp, "uaid"), strconv.Quote(uuidString(rng, false)))
	case 2:
		kv = append(kv, spName(sp, "uaid"), strconv.Quote(uuidString(rng, true)))
	case 3:
		kv = append(kv, spName(sp, "uaid"), jsonString(sp.UAID))
	case 4:
		kv = append(kv, spName(sp, "uaid"), strconv.Itoa(rng.Intn(1<<20)))
	case 5:
		kv = append(kv, spName(sp, "uaid"), "null")
	}
	if sp.Kind%5 != 0 {
		var ids []string
		n := int(sp.NChids % 8)
		if sp.Kind%5 == 4 {
			n = 190 + rng.Intn(30) // around pushgo's max_channels
		}
		for range n {
			ids = append(ids, spChid(rng, sp))
		}
		kv = append(kv, spName(sp, "channelIDs"), "["+strings.Join(ids, ",")+"]")
	}
	return members(sp, kv...)
}

func spRegisterMsg(rng *rand.Rand, sp *spSpec) []byte {
	kv := []string{spName(sp, "messageType"), jsonString(spType(sp, "register"))}
	if sp.Kind%4 != 0 {
		kv = append(kv, spName(sp, "channelID"), spChid(rng, sp))
	}
	return members(sp, kv...)
}

func spAckMsg(rng *rand.Rand, sp *spSpec) []byte {
	kv := []string{spName(sp, "messageType"), jsonString(spType(sp, "ack"))}
	var ups []string
	kind := sp.Kind % 4
	if kind == 1 && sp.Extra == nil {
		kind = 0 // the well-formed form: an updates list
	}
	for range int(sp.NChids % 4) {
		v := strconv.FormatInt(1+rng.Int63n(1<<40), 10)
		switch sp.VersionKind % 6 {
		case 1:
			v = strconv.Quote(v)
		case 2:
			v += ".5"
		case 3:
			v = "-" + v
		case 4:
			v = ""
		case 5:
			v = "184467440737095516150"
		}
		u := `{"channelID":` + spChid(rng, sp)
		if v != "" {
			u += `,"version":` + v
		}
		ups = append(ups, u+"}")
	}
	switch kind {
	case 0:
		kv = append(kv, spName(sp, "updates"), "["+strings.Join(ups, ",")+"]")
	case 1:
		kv = append(kv, spName(sp, "updates"), "null")
	case 2:
		kv = append(kv, spName(sp, "expired"), "[]")
	}
	return members(sp, kv...)
}

// jsonMutations break a JSON message at the byte level.
var jsonMutations = []mutation{
	{"truncate", func(rng *rand.Rand, m []byte) []byte { return m[:rng.Intn(len(m))] }},
	{"byte-flip", func(rng *rand.Rand, m []byte) []byte {
		m = bytes.Clone(m)
		for n := 1 + rng.Intn(4); n > 0; n-- {
			m[rng.Intn(len(m))] ^= byte(1 << rng.Intn(8))
		}
		return m
	}},
	{"invalid-utf8", func(rng *rand.Rand, m []byte) []byte {
		bad := [][]byte{{0xff}, {0xc0, 0xaf}, {0xed, 0xa0, 0x80}, {0xe2, 0x82}}
		return insertAt(rng, m, bad[rng.Intn(len(bad))])
	}},
	{"syntax-chars", func(rng *rand.Rand, m []byte) []byte {
		for n := 1 + rng.Intn(3); n > 0; n-- {
			const syntax = `[]{}",\:`
			m = insertAt(rng, m, []byte{syntax[rng.Intn(len(syntax))]})
		}
		return m
	}},
	{"deep-nesting", func(rng *rand.Rand, m []byte) []byte {
		n := 1 + rng.Intn(5000)
		return []byte(`{"messageType":"hello","uaid":` + strings.Repeat("[", n) + strings.Repeat("]", n) + `}`)
	}},
	{"huge-string", func(rng *rand.Rand, m []byte) []byte {
		return []byte(`{"messageType":"hello","uaid":"` + strings.Repeat("a", 1000+rng.Intn(50000)) + `","channelIDs":[]}`)
	}},
	{"whitespace", func(rng *rand.Rand, m []byte) []byte {
		ws := []string{"\t", "\n", "\r", "  "}
		return insertAt(rng, m, []byte(ws[rng.Intn(len(ws))]))
	}},
}

// runSPWS sends one WebSocket input on a fresh socket and judges it.
func (s *spRunner) runSPWS(ctx context.Context, in *spInput) *Violation {
	ictx, cancel := context.WithTimeout(ctx, s.opts.InputTimeout)
	defer cancel()
	c, err := wsconn.Dial(ictx, s.target, wsconn.DialOptions{})
	if err != nil {
		return nil // the liveness probe judges
	}
	defer c.CloseNow()
	if in.afterHello {
		if _, err := spExchange(ictx, c, []byte(`{"messageType":"hello","uaid":"","channelIDs":[]}`), "hello"); err != nil {
			if runOver(ctx) {
				return nil
			}
			return &Violation{Level: Must, Rule: spRules[spHello], Got: err.Error(), Input: &in.Input}
		}
	}
	if err := c.WriteRaw(ictx, in.Wire); err != nil {
		return nil // the peer may close before reading everything
	}
	pinged := false
	if in.expect == spSilent || in.expect == spNothing {
		// A ping after the input ends the wait: it is answered, or the
		// socket closes, either way at once.
		if err := c.WriteText(ictx, []byte("{}")); err == nil {
			pinged = true
		}
	}
	violation := func(got string) *Violation {
		return &Violation{Level: Must, Rule: spRules[in.expect], Got: got, Input: &in.Input}
	}
	for {
		op, msg, err := c.ReadMessage(ictx, nil)
		if err != nil {
			if runOver(ctx) {
				return nil
			}
			timedOut := ictx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded)
			switch in.expect {
			case spClose:
				if timedOut {
					return violation(fmt.Sprintf("the socket stayed open for %s", s.opts.InputTimeout))
				}
				return nil
			case spNothing:
				return nil
			}
			what := "the socket closed (" + err.Error() + ")"
			if timedOut {
				what = fmt.Sprintf("nothing within %s", s.opts.InputTimeout)
			}
			return violation(what)
		}
		var obj map[string]any
		if op != wsconn.Text || json.Unmarshal(msg, &obj) != nil {
			return &Violation{Level: Must, Rule: spRules[spNothing], Got: "the message " + quoteShort(msg, 200), Input: &in.Input}
		}
		mt, _ := obj["messageType"].(string)
		if strings.EqualFold(mt, "notification") {
			continue
		}
		isPong := len(obj) == 0 || strings.EqualFold(mt, "ping")
		switch in.expect {
		case spClose:
			return violation("a reply " + quoteShort(msg, 200))
		case spHello, spRegister:
			want := "hello"
			if in.expect == spRegister {
				want = "register"
			}
			ep, _ := obj["pushEndpoint"].(string)
			if !strings.EqualFold(mt, want) || obj["status"] != float64(200) || (in.expect == spRegister && ep == "") {
				return violation("the reply " + quoteShort(msg, 200))
			}
			return nil
		case spSilent:
			if pinged && isPong {
				return nil
			}
			return violation("the message " + quoteShort(msg, 200))
		default:
			if pinged && isPong {
				return nil
			}
		}
	}
}

// spHTTPInput is a generated request to an endpoint.
type spHTTPInput struct {
	Input
	want string // "2xx" (200 or 202), "4xx", or "" (no 5xx only)
	rule string
}

// genSPHTTP generates HTTP input index against the endpoint path.
func (s *spRunner) genSPHTTP(index int) *spHTTPInput {
	rng := rngFor(s.opts.Seed, index)
	in := &spHTTPInput{Input: Input{Index: index, Transport: "http"}}
	path, body, method, ctype := s.endpoint, "version="+strconv.FormatInt(1+rng.Int63n(1<<40), 10), "PUT", "application/x-www-form-urlencoded"
	in.want, in.rule = "2xx", "simplepush §4: a PUT of version=N to a live endpoint is answered 200 (delivered) or 202 (stored)"
	kinds := []string{"valid", "valid-data", "token", "version", "data-too-long", "method", "huge-body", "no-type", "garbage", "huge-header"}
	kind := kinds[rng.Intn(len(kinds))]
	in.Mutation = kind
	switch kind {
	case "valid-data":
		body += "&data=" + url.QueryEscape(randomText(rng, "abc xyz=&%/+", rng.Intn(4096/3)))
	case "token":
		p := []byte(path)
		i := strings.LastIndexByte(path, '/') + 1
		if i < len(p)-2 {
			switch rng.Intn(3) {
			case 0: // flip a character inside the token (not the last: base64 padding bits)
				j := i + rng.Intn(len(p)-i-1)
				p[j] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[rng.Intn(64)]
				if string(p) == path {
					p[j] ^= 1
				}
			case 1:
				p = p[:i+rng.Intn(len(p)-i)]
			default:
				p = append(p[:i:i], randomText(rng, "abcdef0123456789.%-_", rng.Intn(200))...)
			}
		}
		path = string(p)
		in.want, in.rule = "", "simplepush §4: a PUT to a token that cannot be decoded gets a 4xx, never a 5xx"
	case "version":
		vs := []string{"abc", "-1", "1.5", "", "18446744073709551616", "0x10", "1e3", " 7", "%00", "9223372036854775808"}
		body = "version=" + vs[rng.Intn(len(vs))]
		in.want, in.rule = "", "simplepush §4: any version value is answered, never with a 5xx (pushgo 400, autopush the time)"
	case "data-too-long":
		body += "&data=" + strings.Repeat("x", 4097+rng.Intn(8000))
		in.want, in.rule = "4xx", "simplepush §4: data over 4096 bytes gets a 4xx (413, or 400 in autopush)"
	case "method":
		ms := []string{"GET", "POST", "DELETE", "PATCH", "FOO"}
		method = ms[rng.Intn(len(ms))]
		in.want, in.rule = "4xx", "simplepush §4: only PUT is served: other methods get 405 (or another 4xx)"
	case "huge-body":
		body = "version=1&pad=" + strings.Repeat("y", 1<<20+rng.Intn(1<<20))
		in.want, in.rule = "", "simplepush §4: a huge body is answered, never with a 5xx"
	case "no-type":
		ctype = ""
	case "garbage", "huge-header":
		in.want, in.rule = "", "HTTP garbage gets a 4xx or nothing, never a 5xx (but 505 to an unknown HTTP version, 501 to an unknown method: RFC 9110 §15.6)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n", method, path, s.host)
	if ctype != "" {
		fmt.Fprintf(&b, "Content-Type: %s\r\n", ctype)
	}
	if kind == "huge-header" {
		fmt.Fprintf(&b, "X-Fuzz: %s\r\n", strings.Repeat("a", 1<<10+rng.Intn(200<<10)))
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n%s", len(body), body)
	m := []byte(b.String())
	if kind == "garbage" {
		line := bytes.IndexByte(m, '\n')
		for n := 1 + rng.Intn(4); n > 0; n-- {
			m[rng.Intn(line)] = byte(rng.Intn(256))
		}
	}
	in.Message, in.Wire = m, m
	in.Expect = map[string]string{"2xx": "200 or 202", "4xx": "a 4xx", "": "no 5xx"}[in.want]
	return in
}

// runSPHTTP sends one request on a fresh TCP connection and judges the
// status.
func (s *spRunner) runSPHTTP(ctx context.Context, in *spHTTPInput) *Violation {
	ictx, cancel := context.WithTimeout(ctx, s.opts.InputTimeout)
	defer cancel()
	var d net.Dialer
	nc, err := d.DialContext(ictx, "tcp", s.host)
	if err != nil {
		return nil
	}
	defer nc.Close()
	dl, _ := ictx.Deadline()
	_ = nc.SetDeadline(dl)
	if _, err := nc.Write(in.Wire); err != nil {
		return nil // the peer may answer and close before the body is in
	}
	resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
	if err != nil {
		if in.want == "" || runOver(ctx) {
			return nil
		}
		return &Violation{Level: Must, Rule: in.rule, Got: "no response: " + err.Error(), Input: &in.Input}
	}
	resp.Body.Close()
	st := resp.StatusCode
	got := "HTTP " + strconv.Itoa(st)
	switch {
	case st >= 500 && rightServerError(st, in.Message):
	case st >= 500:
		return &Violation{Level: Must, Rule: in.rule, Got: got, Input: &in.Input}
	case in.want == "2xx" && st != http.StatusOK && st != http.StatusAccepted:
		return &Violation{Level: Must, Rule: in.rule, Got: got, Input: &in.Input}
	case in.want == "4xx" && (st < 400 || st > 499):
		return &Violation{Level: Must, Rule: in.rule, Got: got, Input: &in.Input}
	}
	return nil
}

// input sends input i: two WebSocket inputs for one HTTP input.
func (s *spRunner) input(ctx context.Context, i int) (string, *Violation) {
	if i%3 == 2 {
		return "http", s.runSPHTTP(ctx, s.genSPHTTP(i))
	}
	return "ws", s.runSPWS(ctx, genSPWS(s.opts.Seed, i))
}
