package fuzz

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/appwire/appwire/internal/wsconn"
	gofuzz "github.com/google/gofuzz"
)

// LIMPOptions configures LIMP.
type LIMPOptions struct {
	Options
	// App is the client app conn/verify names (doc.app); "" suits a
	// server with no client apps configured.
	App string
	// AnonToken signs calls before auth; "" means LIMP's default anonymous
	// token.
	AnonToken string
}

// Defaults of LIMPOptions.
const (
	DefaultLIMPAnonToken = "__ANON_TOKEN_f00000000000000000000012"
	limpAnonSID          = "f00000000000000000000012"
)

// LIMP fuzzes the LIMP server whose WebSocket is target
// ("ws://HOST:PORT/ws") for opts.Duration or opts.MaxInputs inputs. Each
// input is a fresh connection that waits for the greeting, verifies
// (conn/verify with opts.App) and sends one mutated call: a frame that is
// not JSON or lacks its token, a token that is garbage, unsigned (alg
// none), signed with another key or algorithm, expired, or carrying an
// audience, or a well-signed call with generated endpoint, doc and query.
//
// What is checked (docs/protocols/limp.md): every server message is a JSON
// object with an integer status (section 4.1); a call whose token cannot
// be verified is answered 403 CORE_REQ_INVALID_TOKEN and the connection
// stays (section 3.3); after every batch a fresh connection is greeted and
// verified.
func LIMP(ctx context.Context, target string, opts LIMPOptions) (Report, error) {
	opts.Options = opts.Options.withDefaults()
	if opts.AnonToken == "" {
		opts.AnonToken = DefaultLIMPAnonToken
	}
	u, err := url.Parse(target)
	switch {
	case err != nil || u.Host == "":
		return Report{Target: target, Seed: opts.Seed}, fmt.Errorf("fuzz: bad target %q: want the LIMP WebSocket URL, ws://HOST:PORT/ws", target)
	case u.Scheme != "ws":
		return Report{Target: target, Seed: opts.Seed}, fmt.Errorf("fuzz: bad target scheme %q: want ws://HOST:PORT/ws", u.Scheme)
	case u.Port() == "":
		return Report{Target: target, Seed: opts.Seed}, fmt.Errorf("fuzz: target %q has no port", target)
	}
	return run(ctx, target, opts.Options, &limpRunner{opts: opts, target: target})
}

type limpRunner struct {
	opts   LIMPOptions
	target string
}

func (l *limpRunner) probeRule() string {
	return "a fresh connection is greeted (200 CORE_CONN_READY) and conn/verify answers 200"
}

// limpMsg is a server message as section 4.1 has it.
type limpMsg struct {
	Status *int            `json:"status"`
	Msg    string          `json:"msg"`
	Args   json.RawMessage `json:"args"`
}

func (m *limpMsg) code() string {
	var a struct{ Code string }
	_ = json.Unmarshal(m.Args, &a)
	return a.Code
}

// readLIMP reads one message and checks the envelope.
func readLIMP(ctx context.Context, c *wsconn.Conn) (*limpMsg, []byte, error) {
	for {
		op, b, err := c.ReadMessage(ctx, nil)
		if err != nil {
			return nil, nil, err
		}
		if op != wsconn.Text {
			continue
		}
		var m limpMsg
		if json.Unmarshal(b, &m) != nil || m.Status == nil {
			return nil, b, errBadEnvelope
		}
		return &m, b, nil
	}
}

var errBadEnvelope = errors.New("not a JSON object with an integer status")

// verified opens a connection, waits for the greeting and verifies.
func (l *limpRunner) verified(ctx context.Context) (*wsconn.Conn, error) {
	c, err := wsconn.Dial(ctx, l.target, wsconn.DialOptions{})
	if err != nil {
		return nil, err
	}
	m, b, err := readLIMP(ctx, c)
	if err != nil || *m.Status != 200 {
		c.CloseNow()
		return nil, fmt.Errorf("greeting: %s %v", quoteShort(b, 200), err)
	}
	call := limpJWT([]byte(l.opts.AnonToken), "HS256", map[string]any{
		"endpoint": "conn/verify", "doc": map[string]any{"app": l.opts.App}, "sid": limpAnonSID,
		"token": l.opts.AnonToken, "query": []any{}, "call_id": "fzv",
	})
	if err := c.WriteText(ctx, limpFrame(call, "fzv")); err != nil {
		c.CloseNow()
		return nil, err
	}
	m, b, err = readLIMP(ctx, c)
	if err == nil && *m.Status == 429 && strings.HasSuffix(m.code(), "QUOTA_HIT") {
		c.CloseNow()
		return nil, errQuota
	}
	if err != nil || *m.Status != 200 {
		c.CloseNow()
		return nil, fmt.Errorf("conn/verify: %s %v", quoteShort(b, 200), err)
	}
	return c, nil
}

// errQuota is a 429 CORE_REQ_*_QUOTA_HIT: the peer is up and throttles.
var errQuota = errors.New("limp: the peer's call quota was hit")

func (l *limpRunner) probe(ctx context.Context) error {
	c, err := l.verified(ctx)
	if errors.Is(err, errQuota) {
		return nil // it answered: it is up
	}
	if err != nil {
		return err
	}
	c.CloseNow()
	return nil
}

// limpJWT signs claims as a compact JWS with alg (HS256 signs with key;
// "none" has no signature; anything else gets HS256's signature anyway).
func limpJWT(key []byte, alg string, claims any) string {
	enc := base64.RawURLEncoding
	h, _ := json.Marshal(map[string]string{"alg": alg, "typ": "JWT"})
	p, _ := json.Marshal(claims)
	signing := enc.EncodeToString(h) + "." + enc.EncodeToString(p)
	if alg == "none" {
		return signing + "."
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(signing))
	return signing + "." + enc.EncodeToString(mac.Sum(nil))
}

func limpFrame(token, callID string) []byte {
	b, _ := json.Marshal(map[string]string{"token": token, "call_id": callID})
	return b
}

// limpInput is a generated call.
type limpInput struct {
	Input
	invalid bool // the token cannot be verified: 403 CORE_REQ_INVALID_TOKEN
	callID  string
}

// limpCall is the structured part of a call, filled by gofuzz.
type limpCall struct {
	Module, Method string
	Doc            map[string]string
	Query          []map[string]string
	Known          uint8
}

var limpEndpoints = []string{"user/read", "item/read", "item/create", "item/update", "item/delete", "blob/read",
	"session/auth", "session/reauth", "session/signout", "heart/beat", "watch/delete", "conn/verify", "item/watch", "nope/x", "/", "a/b/c"}

func genLIMP(seed int64, index int, anon []byte) *limpInput {
	rng := rngFor(seed, index)
	var spec limpCall
	gofuzz.New().RandSource(rng).NilChance(0.2).NumElements(0, 3).Fuzz(&spec)
	callID := strconv.FormatInt(int64(rng.Intn(1<<30)), 36)
	endpoint := limpEndpoints[rng.Intn(len(limpEndpoints))]
	if spec.Known%4 == 0 {
		endpoint = nameOf(spec.Module, "m") + "/" + nameOf(spec.Method, "x")
	}
	doc := map[string]any{}
	for k, v := range spec.Doc {
		doc[k] = v
	}
	query := []any{}
	for _, q := range spec.Query {
		query = append(query, q)
	}
	claims := map[string]any{"endpoint": endpoint, "doc": doc, "sid": limpAnonSID, "token": string(anon), "query": query, "call_id": callID}
	in := &limpInput{Input: Input{Index: index, Transport: "ws"}, callID: callID}
	var frame []byte
	switch k := rng.Intn(12); k {
	case 0, 1, 2, 3, 4:
		frame, in.Mutation = limpFrame(limpJWT(anon, "HS256", claims), callID), "signed "+endpoint
	case 5:
		frame, in.Mutation, in.invalid = limpFrame(limpJWT(anon, "none", claims), callID), "alg-none", true
	case 6:
		frame, in.Mutation, in.invalid = limpFrame(limpJWT([]byte("not the key"), "HS256", claims), callID), "wrong-key", true
	case 7:
		frame, in.Mutation, in.invalid = limpFrame(limpJWT(anon, []string{"HS512", "RS256", "hs256", ""}[rng.Intn(4)], claims), callID), "other-alg", true
	case 8:
		claims["exp"] = time.Now().Add(-time.Hour).Unix()
		if rng.Intn(2) == 0 {
			delete(claims, "exp")
			claims["aud"] = "x"
		}
		frame, in.Mutation, in.invalid = limpFrame(limpJWT(anon, "HS256", claims), callID), "expired-or-aud", true
	case 9:
		tok := limpJWT(anon, "HS256", claims)
		b := []byte(tok)
		b[rng.Intn(len(b))] ^= byte(1 << rng.Intn(7))
		frame, in.Mutation, in.invalid = limpFrame(string(b), callID), "token-bit-flip", !bytes.Equal(b, []byte(tok))
		if strings.Count(string(b), ".") != 2 { // a flipped separator: still a broken token
			in.invalid = true
		}
	case 10:
		frames := []string{"not json", "{}", `{"call_id":"x"}`, `{"token":5}`, `{"token":"a.b.c"}`, "[]", "null", `{"token":""}`}
		frame, in.Mutation = []byte(frames[rng.Intn(len(frames))]), "broken-frame"
	default:
		m := jsonMutations[rng.Intn(len(jsonMutations))]
		frame = m.fn(rng, limpFrame(limpJWT(anon, "HS256", claims), callID))
		in.Mutation = "frame+" + m.name
	}
	in.Message, in.Wire = frame, frame
	in.Expect = "JSON replies with a status"
	if in.invalid {
		in.Expect = "403 CORE_REQ_INVALID_TOKEN, the connection open"
	}
	return in
}

func (l *limpRunner) input(ctx context.Context, i int) (string, *Violation) {
	in := genLIMP(l.opts.Seed, i, []byte(l.opts.AnonToken))
	ictx, cancel := context.WithTimeout(ctx, l.opts.InputTimeout)
	defer cancel()
	c, err := l.verified(ictx)
	if errors.Is(err, errQuota) {
		return throttled, nil
	}
	if err != nil {
		return "ws", nil // the liveness probe judges
	}
	defer c.CloseNow()
	if err := c.WriteText(ictx, in.Wire); err != nil {
		return "ws", nil
	}
	// A heartbeat after the input ends the wait: its reply comes after the
	// input's (if any), and shows the connection still serves.
	beat := limpJWT([]byte(l.opts.AnonToken), "HS256", map[string]any{
		"endpoint": "heart/beat", "doc": map[string]any{}, "sid": limpAnonSID, "token": l.opts.AnonToken, "query": []any{}, "call_id": limpBeatID,
	})
	_ = c.WriteText(ictx, limpFrame(beat, limpBeatID))
	envelope := "limp §4.1: every server message is a JSON object with an integer status"
	invalid := "limp §3.3: a token that cannot be verified is answered 403 CORE_REQ_INVALID_TOKEN, and after verify the connection stays"
	answered := false
	for {
		m, b, err := readLIMP(ictx, c)
		switch {
		case errors.Is(err, errBadEnvelope):
			return "ws", &Violation{Level: Must, Rule: envelope, Got: "the message " + quoteShort(b, 200), Input: &in.Input}
		case err != nil && in.invalid && !runOver(ctx):
			got := "the connection closed: " + err.Error()
			if ictx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded) {
				got = fmt.Sprintf("no reply within %s", l.opts.InputTimeout)
			}
			if answered {
				got += ", after the 403"
			}
			return "ws", &Violation{Level: Must, Rule: invalid, Got: got, Input: &in.Input}
		case err != nil:
			return "ws", nil // nothing else is mandated: some calls get no reply (limp §5.6, §5.7)
		}
		if *m.Status == 429 && strings.HasSuffix(m.code(), "QUOTA_HIT") {
			return throttled, nil
		}
		var a struct {
			CallID any `json:"call_id"`
		}
		_ = json.Unmarshal(m.Args, &a)
		isBeat := a.CallID == limpBeatID
		switch {
		case in.invalid && !answered && !isBeat:
			if *m.Status != 403 || m.code() != "CORE_REQ_INVALID_TOKEN" {
				return "ws", &Violation{Level: Must, Rule: invalid, Got: "the reply " + quoteShort(b, 200), Input: &in.Input}
			}
			answered = true
		case in.invalid && !answered && isBeat:
			return "ws", &Violation{Level: Must, Rule: invalid, Got: "no reply before the next call's", Input: &in.Input}
		case isBeat:
			return "ws", nil
		}
	}
}

// limpBeatID labels the heartbeat that follows every input.
const limpBeatID = "fzbeat"
