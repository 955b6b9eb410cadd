package fuzz

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	gofuzz "github.com/google/gofuzz"
)

// Loop fuzzes the Loop (Firefox Hello) server whose base URL is target
// ("http://HOST:PORT") for opts.Duration or opts.MaxInputs inputs: HTTP
// requests on fresh connections to its routes (under /v0 and at the
// root), with any method, mutated and broken JSON and form bodies,
// garbage and malformed Hawk Authorization headers, bogus session tokens,
// Accept and Content-Type variants, oversized bodies and headers, and
// garbage request lines.
//
// What is checked (docs/protocols/loop.md): nothing gets a 5xx but 503
// (a backend error), and 505 or 501 where RFC 9110 says so; every JSON
// error answer is an object whose code repeats the HTTP status (section
// 2.1); a complete request is answered. After every batch GET / must still
// answer 200.
func Loop(ctx context.Context, target string, opts Options) (Report, error) {
	opts = opts.withDefaults()
	l := &loopRunner{opts: opts, target: target}
	u, err := url.Parse(target)
	switch {
	case err != nil || u.Host == "":
		return Report{Target: target, Seed: opts.Seed}, fmt.Errorf("fuzz: bad target %q: want the Loop server's base URL, http://HOST:PORT", target)
	case u.Scheme != "http":
		return Report{Target: target, Seed: opts.Seed}, fmt.Errorf("fuzz: bad target scheme %q: want http://HOST:PORT (fuzz the plain endpoint)", u.Scheme)
	case u.Port() == "":
		return Report{Target: target, Seed: opts.Seed}, fmt.Errorf("fuzz: target %q has no port", target)
	}
	l.host, l.base = u.Host, strings.TrimRight(u.EscapedPath(), "/")
	return run(ctx, target, opts, l)
}

// loopRunner is one run of Loop.
type loopRunner struct {
	opts       Options
	target     string
	host, base string
}

func (l *loopRunner) probeRule() string { return "GET / answers 200 with a JSON object" }

func (l *loopRunner) probe(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+l.host+l.base+"/", nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	var obj map[string]any
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &obj) != nil {
		return fmt.Errorf("GET /: HTTP %d %s", resp.StatusCode, quoteShort(body, 200))
	}
	return nil
}

// loopRoutes are the paths the generator draws from ({t} becomes a
// token-like string).
var loopRoutes = []string{
	"/", "/__heartbeat__", "/__lbheartbeat__", "/push-server-config", "/registration", "/call-url",
	"/call-url/{t}", "/calls/{t}", "/calls", "/calls?version={n}", "/account", "/session", "/event",
	"/api-specs", "/fxa-oauth/params", "/fxa-oauth/token", "/rooms", "/rooms/{t}", "/websocket",
	"/calls/id/{t}", "/nope/{t}", "//calls", "/calls/", "/%2e%2e/calls", "/call-url/%00",
}

// loopBody is the structured part of a body, filled by gofuzz.
type loopBody struct {
	SimplePushURL  string
	SimplePushURLs map[string]string
	CallerID       string
	Expires        int64
	CallType       string
	Channel        string
	Subject        string
	Calls          []string
	Extra          map[string]string
	Version        *int64
}

// genLoop generates input index.
func (l *loopRunner) genLoop(index int) *spHTTPInput {
	rng := rngFor(l.opts.Seed, index)
	in := &spHTTPInput{Input: Input{Index: index, Transport: "http"}}
	methods := []string{"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "FROB"}
	method := methods[rng.Intn(len(methods))]
	path := loopRoutes[rng.Intn(len(loopRoutes))]
	path = strings.ReplaceAll(path, "{t}", randomText(rng, "abcdefghijklmnopqrstuvwxyzABC0123456789-_.%", 1+rng.Intn(40)))
	path = strings.ReplaceAll(path, "{n}", strconv.FormatInt(rng.Int63n(1<<40)-100, 10))
	if rng.Intn(2) == 0 {
		path = "/v0" + path
	}
	var b loopBody
	gofuzz.New().RandSource(rng).NilChance(0.3).NumElements(0, 3).Fuzz(&b)
	body, ctype := []byte(nil), ""
	kinds := []string{"json", "bad-json", "form", "empty", "huge", "nested"}
	kind := kinds[rng.Intn(len(kinds))]
	switch kind {
	case "json":
		body, _ = json.Marshal(b)
		ctype = "application/json"
	case "bad-json":
		bad := []string{"{", "[1,", `{"simplePushURL":}`, "nul", `{"a":"\ud800"}`, "{}}", "\xff\xfe", `"x"`, "[]", "42"}
		body, ctype = []byte(bad[rng.Intn(len(bad))]), "application/json"
	case "form":
		v := url.Values{"simplePushURL": {b.SimplePushURL}, "callerId": {b.CallerID}, "expiresIn": {strconv.FormatInt(b.Expires, 10)}}
		body, ctype = []byte(v.Encode()), "application/x-www-form-urlencoded"
	case "huge":
		body, ctype = []byte(`{"callerId":"`+strings.Repeat("x", 1<<20+rng.Intn(1<<20))+`"}`), "application/json"
	case "nested":
		n := 1 + rng.Intn(5000)
		body, ctype = []byte(strings.Repeat(`{"a":`, n)+"1"+strings.Repeat("}", n)), "application/json"
	}
	if rng.Intn(4) == 0 {
		types := []string{"text/plain", "application/xml", "multipart/form-data", "x", "application/json; charset=latin1"}
		ctype = types[rng.Intn(len(types))]
	}
	var h strings.Builder
	fmt.Fprintf(&h, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n", method, path, l.host)
	if ctype != "" {
		fmt.Fprintf(&h, "Content-Type: %s\r\n", ctype)
	}
	if rng.Intn(3) == 0 {
		accepts := []string{"text/html", "*/*", "application/json", "image/png", "", "application/*;q=0"}
		fmt.Fprintf(&h, "Accept: %s\r\n", accepts[rng.Intn(len(accepts))])
	}
	if rng.Intn(2) == 0 {
		fmt.Fprintf(&h, "Authorization: %s\r\n", hawkHeader(rng))
	}
	if rng.Intn(4) == 0 {
		fmt.Fprintf(&h, "Hawk-Session-Token: %s\r\n", randomText(rng, "0123456789abcdef", rng.Intn(80)))
	}
	if rng.Intn(10) == 0 {
		fmt.Fprintf(&h, "X-Fuzz: %s\r\n", strings.Repeat("a", 1<<10+rng.Intn(200<<10)))
		kind += "+huge-header"
	}
	if rng.Intn(6) == 0 {
		fmt.Fprintf(&h, "Origin: %s\r\n", []string{"http://evil.example", "null", "http://localhost"}[rng.Intn(3)])
	}
	fmt.Fprintf(&h, "Content-Length: %d\r\n\r\n", len(body))
	m := append([]byte(h.String()), body...)
	if rng.Intn(12) == 0 { // garbage in the request line
		line := strings.IndexByte(string(m), '\n')
		for n := 1 + rng.Intn(4); n > 0; n-- {
			m[rng.Intn(line)] = byte(rng.Intn(256))
		}
		kind += "+garbage"
	}
	in.Mutation = method + " " + kind
	in.Message, in.Wire = m, m
	in.want = ""
	in.rule = "loop §2: every request is answered, never with a 5xx but 503 (505/501 as RFC 9110 §15.6 says)"
	in.Expect = "an answer, no 5xx but 503; JSON errors {code: status, ...}"
	return in
}

// hawkHeader returns an Authorization header, valid in form or broken.
func hawkHeader(rng *rand.Rand) string {
	attrs := []string{
		`id="` + randomText(rng, "0123456789abcdef", 64) + `"`,
		`ts="` + strconv.FormatInt(1700000000+rng.Int63n(1e9), 10) + `"`,
		`nonce="` + randomText(rng, "abcdefXYZ012", 6) + `"`,
		`mac="` + randomText(rng, "ABCDEFabcdef0123456789+/=", 44) + `"`,
	}
	switch rng.Intn(8) {
	case 0:
		attrs = attrs[:rng.Intn(len(attrs))] // missing attributes
	case 1:
		attrs = append(attrs, attrs[rng.Intn(len(attrs))]) // a duplicate
	case 2:
		attrs = append(attrs, `evil="x"`) // unknown
	case 3:
		attrs[rng.Intn(len(attrs))] = `id="a\"b"` // a bad value
	case 4:
		return "Hawk " + strings.Repeat(`id="x", `, 500+rng.Intn(500)) // over 4096 bytes
	case 5:
		return []string{"Basic dXNlcjpwYXNz", "Hawk", "hawk ,,,", "Bearer x", ""}[rng.Intn(5)]
	}
	return "Hawk " + strings.Join(attrs, ", ")
}

// runLoop sends one request and judges the answer.
func (l *loopRunner) runLoop(ctx context.Context, in *spHTTPInput) *Violation {
	ictx, cancel := context.WithTimeout(ctx, l.opts.InputTimeout)
	defer cancel()
	var d net.Dialer
	nc, err := d.DialContext(ictx, "tcp", l.host)
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
		return nil // garbage may get no answer; the probe judges the rest
	}
	defer resp.Body.Close()
	st := resp.StatusCode
	switch {
	case st >= 500 && st != http.StatusServiceUnavailable && !rightServerError(st, in.Message):
		return &Violation{Level: Must, Rule: in.rule, Got: "HTTP " + strconv.Itoa(st), Input: &in.Input}
	case st >= 400 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json"):
		b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		if err != nil {
			return nil
		}
		var e struct {
			Code *int `json:"code"`
		}
		if json.Unmarshal(b, &e) != nil || e.Code == nil || *e.Code != st {
			return &Violation{Level: Must, Rule: "loop §2.1: a JSON error is an object whose code repeats the HTTP status",
				Got: "HTTP " + strconv.Itoa(st) + " " + quoteShort(b, 200), Input: &in.Input}
		}
	}
	return nil
}

func (l *loopRunner) input(ctx context.Context, i int) (string, *Violation) {
	return "http", l.runLoop(ctx, l.genLoop(i))
}
