package fuzz

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/appwire/appwire/afbproto"
	gofuzz "github.com/google/gofuzz"
)

// httpInput is a generated HTTP request and the rule it is judged by.
type httpInput struct {
	Input
	reply      bool   // a 200 afb-reply is mandated
	want4xx    bool   // a 4xx is mandated
	needAnswer bool   // the request is complete: silence is a violation
	level      Level  // of the rule
	rule       string // the rule
}

// httpCase builds one kind of request.
type httpCase struct {
	name string
	fn   func(g *httpGen) *httpInput
}

type httpGen struct {
	r                   *runner
	rng                 interface{ Intn(int) int }
	fz                  *gofuzz.Fuzzer
	probePath, rootPath string
}

var httpCases = []httpCase{
	{"query", func(g *httpGen) *httpInput {
		var q map[string]string
		g.fz.Fuzz(&q)
		vals := url.Values{}
		for k, v := range q {
			vals.Set(k, v)
		}
		target := g.probePath
		if len(vals) > 0 {
			target += "?" + vals.Encode()
		}
		return &httpInput{Input: Input{Message: g.request("GET", target, "", nil)}, reply: true, needAnswer: true, level: Must,
			rule: "afb §1.2, §1.5: a GET of a known verb, any query, is answered 200 with an afb-reply"}
	}},
	{"json-body", func(g *httpGen) *httpInput {
		var body struct {
			A string
			B []int32
			C map[string]bool
			D *float32
		}
		g.fz.Fuzz(&body)
		b, _ := json.Marshal(body)
		return &httpInput{Input: Input{Message: g.request("POST", g.probePath, "application/json", b)}, reply: true, needAnswer: true, level: Must,
			rule: "afb §1.2, §1.5: a POST of valid JSON to a known verb is answered 200 with an afb-reply"}
	}},
	{"bad-method", func(g *httpGen) *httpInput {
		methods := []string{"PUT", "DELETE", "PATCH", "OPTIONS", "FOO", "TRACE"}
		m := methods[g.rng.Intn(len(methods))]
		return &httpInput{Input: Input{Message: g.request(m, g.probePath, "", nil)}, want4xx: true, needAnswer: true, level: Must,
			rule: "afb §1.1: a method other than GET and POST gets 400"}
	}},
	{"media-type", func(g *httpGen) *httpInput {
		types := []string{"text/plain", "application/x-www-form-urlencoded", "application/xml", "image/png", "x", "text/html; charset=utf-8"}
		return &httpInput{Input: Input{Message: g.request("POST", g.probePath, types[g.rng.Intn(len(types))], []byte("a=1&b=2"))},
			want4xx: true, needAnswer: true, level: Must,
			rule: "afb §1.2: a POST body of any other type than JSON or multipart gets 415"}
	}},
	{"bad-json", func(g *httpGen) *httpInput {
		bodies := []string{"{", "not json", `{"a":}`, "[1,2", `"unterminated`, strings.Repeat("[", 5000), "{}}", "\xff\xfe"}
		return &httpInput{Input: Input{Message: g.request("POST", g.probePath, "application/json", []byte(bodies[g.rng.Intn(len(bodies))]))},
			want4xx: true, needAnswer: true, level: Should,
			rule: "afb §1.2: a JSON body that is not valid JSON should get 400 (V6-2019 hangs)"}
	}},
	{"path", func(g *httpGen) *httpInput {
		segs := []string{"", "/", "//", "..", "%2e%2e", "%00", "%ff", "a", "hello", "ping", "%2F", "x y", "~", "?", "#"}
		p := g.rootPath
		for n := g.rng.Intn(5); n >= 0; n-- {
			p += "/" + segs[g.rng.Intn(len(segs))]
		}
		return &httpInput{Input: Input{Message: g.request("GET", p, "", nil)}, needAnswer: false, level: Must,
			rule: "afb §1.1, §1.5: an odd path gets 404 or an afb-reply, never a 5xx"}
	}},
	{"garbage", func(g *httpGen) *httpInput {
		m := g.request("GET", g.probePath, "", nil)
		line := strings.IndexByte(string(m), '\n')
		for n := 1 + g.rng.Intn(4); n > 0; n-- {
			i := g.rng.Intn(line)
			m[i] = byte(g.rng.Intn(256))
		}
		return &httpInput{Input: Input{Message: m}, level: Must,
			rule: "HTTP garbage in the request line gets a 4xx or nothing, never a 5xx (but 505 to an unknown HTTP version, 501 to an unknown method: RFC 9110 §15.6)"}
	}},
	{"huge-header", func(g *httpGen) *httpInput {
		m := g.request("GET", g.probePath, "", nil)
		extra := "X-Fuzz: " + strings.Repeat("a", 1<<10+g.rng.Intn(200<<10)) + "\r\n"
		m = append(m[:len(m)-2:len(m)-2], extra+"\r\n"...)
		return &httpInput{Input: Input{Message: m}, level: Must,
			rule: "a huge header gets a 4xx or a reply, never a 5xx"}
	}},
}

// request builds a complete request in the fuzzer's session. The
// session headers come first and are never mutated, so that no input
// creates a session (afb §3.2: --session-max would then give 500).
func (g *httpGen) request(method, target, ctype string, body []byte) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nX-Afb-Uuid: %s\r\n", method, target, g.r.host, g.r.opts.UUID)
	if g.r.opts.Token != "" {
		fmt.Fprintf(&b, "X-Afb-Token: %s\r\n", g.r.opts.Token)
	}
	b.WriteString("Connection: close\r\n")
	if ctype != "" {
		fmt.Fprintf(&b, "Content-Type: %s\r\n", ctype)
	}
	if body != nil || method == "POST" {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(body))
	}
	b.WriteString("\r\n")
	b.Write(body)
	return []byte(b.String())
}

// genHTTP generates HTTP input index.
func (r *runner) genHTTP(index int) *httpInput {
	rng := rngFor(r.opts.Seed, index)
	g := &httpGen{r: r, rng: rng, fz: gofuzz.New().RandSource(rng).NilChance(0.2).NumElements(0, 4),
		rootPath: r.rootPath, probePath: r.rootPath + "/" + r.probeAPI + "/" + r.probeVerb}
	c := httpCases[rng.Intn(len(httpCases))]
	in := c.fn(g)
	in.Index, in.Transport, in.Mutation = index, "http", c.name
	switch {
	case in.reply:
		in.Expect = "200 with an afb-reply"
	case in.want4xx:
		in.Expect = "a 4xx"
	default:
		in.Expect = "no 5xx"
	}
	return in
}

// runHTTP sends one request on a fresh TCP connection and judges the
// status line (and the body, when an afb-reply is mandated).
func (r *runner) runHTTP(ctx context.Context, in *httpInput) *Violation {
	ictx, cancel := context.WithTimeout(ctx, r.opts.InputTimeout)
	defer cancel()
	var d net.Dialer
	nc, err := d.DialContext(ictx, "tcp", r.host)
	if err != nil {
		return nil // the liveness probe judges
	}
	defer nc.Close()
	dl, _ := ictx.Deadline()
	_ = nc.SetDeadline(dl)
	stop := context.AfterFunc(ictx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := nc.Write(in.Message); err != nil {
		return nil
	}
	resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
	if err != nil {
		if !in.needAnswer || runOver(ctx) {
			return nil
		}
		return &Violation{Level: in.level, Rule: in.rule, Got: "no response: " + err.Error(), Input: &in.Input}
	}
	defer resp.Body.Close()
	got := "HTTP " + strconv.Itoa(resp.StatusCode)
	switch {
	case resp.StatusCode >= 500 && rightServerError(resp.StatusCode, in.Message):
		return nil
	case resp.StatusCode >= 500:
		return &Violation{Level: in.level, Rule: in.rule, Got: got, Input: &in.Input}
	case in.want4xx && (resp.StatusCode < 400 || resp.StatusCode > 499):
		return &Violation{Level: in.level, Rule: in.rule, Got: got, Input: &in.Input}
	case in.reply:
		if resp.StatusCode != http.StatusOK {
			return &Violation{Level: in.level, Rule: in.rule, Got: got, Input: &in.Input}
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if err != nil {
			return &Violation{Level: in.level, Rule: in.rule, Got: "reading the body: " + err.Error(), Input: &in.Input}
		}
		var rep afbproto.Reply
		if err := afbproto.ParseReply(body, &rep); err != nil {
			return &Violation{Level: in.level, Rule: in.rule, Got: "body " + quoteShort(body, 200) + ": " + err.Error(), Input: &in.Input}
		}
	}
	return nil
}

// rightServerError reports whether a 5xx status is the right answer to
// the request line of raw, as RFC 9110 defines two 5xx answers to
// requests: 505 HTTP Version Not Supported to a major version the server
// does not speak (§15.6.6; net/http answers it to "HTTP/9.1"), and 501
// Not Implemented to a method it does not recognise (§15.6.2). The request
// line is split as a server does: method, space, target, space, version.
func rightServerError(status int, raw []byte) bool {
	line, _, _ := strings.Cut(string(raw), "\r\n")
	method, rest, ok1 := strings.Cut(line, " ")
	_, version, ok2 := strings.Cut(rest, " ")
	switch status {
	case http.StatusHTTPVersionNotSupported:
		return ok1 && ok2 && version != "HTTP/1.1" && version != "HTTP/1.0"
	case http.StatusNotImplemented:
		switch method {
		case "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH":
			return false
		}
		return ok1
	}
	return false
}
