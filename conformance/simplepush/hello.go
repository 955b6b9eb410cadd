package spsuite

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/appwire/appwire/conformance"
	"github.com/appwire/appwire/conformance/kit"
)

// Spec sections 1, 2 and 3.1: the socket, identifiers and hello.

func transportCases() []conformance.Case {
	return []conformance.Case{{
		ID:          "simplepush/1/1",
		Title:       "a WebSocket upgrade at the target URL offering no subprotocol gives 101",
		Level:       must,
		Requirement: "One WebSocket per user agent. Sec-WebSocket-Protocol: push-notification was dropped from the drafts; neither server checks it: accept with or without it.",
		Run: func(ctx context.Context, t *conformance.T) {
			u := session(ctx, t)
			u.Close()
		},
	}, {
		ID:          "simplepush/1/2",
		Title:       "an upgrade offering push-notification gives 101 echoing it",
		Level:       should,
		Requirement: "Accept with or without it; echo it back if the client offers it.",
		Run: func(ctx context.Context, t *conformance.T) {
			c := kit.Dial(ctx, t, wsURL(t), kit.DialOptions{Protocols: []string{"push-notification"}}, "HTTP 101")
			defer c.Close()
			if p := c.Protocol(); p != "push-notification" {
				t.Failf("101 with Sec-WebSocket-Protocol: push-notification", "Sec-WebSocket-Protocol: %q", p)
			}
		},
	}}
}

func idCases() []conformance.Case {
	return []conformance.Case{{
		ID:          "simplepush/2/1",
		Title:       "a generated uaid is a UUID as 32 lower-case hex digits",
		Level:       must,
		Requirement: "It is required that ChannelIDs and UAIDs be UUIDs. Generate 32 lower-case hex (both servers do; autopush accepts only that form back).",
		Run: func(ctx context.Context, t *conformance.T) {
			u := session(ctx, t)
			defer u.Close()
			if len(u.uaid) != 32 || !isUUID(u.uaid) || strings.ToLower(u.uaid) != u.uaid {
				t.Failf("a uaid of 32 lower-case hex digits", "uaid %q", u.uaid)
			}
		},
	}, {
		ID:          "simplepush/2/2",
		Title:       "hello with a fresh uaid in dashed or upper-case form (no channels) keeps that UUID",
		Level:       compat,
		Profiles:    pushgoWire,
		Requirement: "pushgo accepts 32 hex (undashed) or the 36-char dashed form, any case (id.Valid); recommended: accept both and normalise. An unknown uaid with empty channelIDs is kept.",
		Run: func(ctx context.Context, t *conformance.T) {
			for _, id := range []string{dashed(newUAID()), strings.ToUpper(newUAID())} {
				u := dial(ctx, t)
				got := u.hello(id, nil)
				if canonical(got) != canonical(id) {
					t.Failf(fmt.Sprintf("the uaid %s (or its normalised form) kept", id), "uaid %q", got)
				}
				u.Close()
			}
		},
	}, {
		ID:          "simplepush/2/3",
		Title:       "hello with a uaid in dashed or upper-case form gets a new uaid",
		Level:       compat,
		Profiles:    autopushOnly,
		Requirement: "autopush accepts only 32 lower-case hex; a dashed or upper-case uaid is invalid → new uaid (test_hello_with_bad_uaid_dash/case).",
		Run: func(ctx context.Context, t *conformance.T) {
			first := session(ctx, t)
			known := first.uaid
			first.Close()
			for _, id := range []string{dashed(known), strings.ToUpper(known)} {
				u := dial(ctx, t)
				if got := u.hello(id, nil); canonical(got) == canonical(known) {
					t.Failf("a new uaid for "+id, "uaid %q", got)
				}
				u.Close()
			}
		},
	}}
}

// expectNewUAID says hello with the raw uaid JSON value and fails unless
// the reply carries a uaid other than old.
func expectNewUAID(ctx context.Context, t *conformance.T, uaidJSON, channels, old string) string {
	u := dial(ctx, t)
	defer u.Close()
	u.Send(fmt.Sprintf(`{"messageType":"hello","uaid":%s,"channelIDs":%s}`, uaidJSON, channels))
	got := u.helloReply()
	if old != "" && canonical(got) == canonical(old) {
		t.Failf("200 with a new uaid", "the uaid %q was kept", got)
	}
	return got
}

func helloCases() []conformance.Case {
	return []conformance.Case{{
		ID:          "simplepush/3.1/1",
		Title:       `{"messageType":"hello","uaid":"","channelIDs":[]} gives 200 with a uaid`,
		Level:       must,
		Requirement: `Server → client (success): {"messageType":"hello","uaid":"<assigned uaid>","status":200}. Rule 1: uaid empty → generate new.`,
		Run: func(ctx context.Context, t *conformance.T) {
			u := dial(ctx, t)
			defer u.Close()
			u.Send(`{"messageType":"hello","uaid":"","channelIDs":[]}`)
			m := u.reply("hello", `{"messageType":"hello","uaid":"<uaid>","status":200}`)
			if m.status() != 200 || !isUUID(m.str("uaid")) {
				t.Failf(`status 200 and a UUID uaid`, "%s", m)
			}
		},
	}, {
		ID:          "simplepush/3.1/2",
		Title:       "hello without uaid, or with uaid null, gives 200 with a new uaid each time",
		Level:       must,
		Requirement: "Rule 1: uaid empty/missing → generate new; null → treated as missing.",
		Run: func(ctx context.Context, t *conformance.T) {
			seen := map[string]bool{}
			for _, hello := range []string{`{"messageType":"hello","channelIDs":[]}`, `{"messageType":"hello","uaid":null,"channelIDs":[]}`} {
				u := dial(ctx, t)
				u.Send(hello)
				got := canonical(u.helloReply())
				if seen[got] {
					t.Failf("a new uaid for each user agent without one", "uaid %s handed out twice", got)
				}
				seen[got] = true
				u.Close()
			}
		},
	}, {
		ID:          "simplepush/3.1/3",
		Title:       `hello with uaid "invalid_uaid", "0", "True", "null", " fooey barrey " or 64 000 characters gives 200 with a new uaid`,
		Level:       must,
		Requirement: "Rule 2: uaid not a valid UUID → generate new (all 200 with a new uaid).",
		Run: func(ctx context.Context, t *conformance.T) {
			for _, bad := range []string{"invalid_uaid", "0", "True", "null", " fooey barrey ", strings.Repeat("a", 64000)} {
				got := expectNewUAID(ctx, t, strconv.Quote(bad), "[]", bad)
				if !isUUID(got) {
					t.Failf("a UUID uaid", "uaid %q", got)
				}
			}
		},
	}, {
		ID:          "simplepush/3.1/4",
		Title:       "reconnecting with the assigned uaid and its registered channel keeps the uaid",
		Level:       must,
		Requirement: "Rule 5: otherwise keep the uaid.",
		Run: func(ctx context.Context, t *conformance.T) {
			u := session(ctx, t)
			chid := newChID()
			u.register(chid)
			u.Close()
			v := dial(ctx, t)
			defer v.Close()
			if got := v.hello(u.uaid, []string{chid}); canonical(got) != canonical(u.uaid) {
				t.Failf("the uaid "+u.uaid+" kept", "uaid %q", got)
			}
		},
	}, {
		ID:          "simplepush/3.1/5",
		Title:       "hello with a fresh (unknown) valid uaid and no channels keeps it",
		Level:       compat,
		Profiles:    pushgoWire,
		Requirement: "Rule 4 (pushgo): unknown uaid with empty channelIDs → kept (TestHandshakeWithId).",
		Run: func(ctx context.Context, t *conformance.T) {
			id := newUAID()
			u := dial(ctx, t)
			defer u.Close()
			if got := u.hello(id, nil); canonical(got) != id {
				t.Failf("the uaid "+id+" kept", "uaid %q", got)
			}
		},
	}, {
		ID:          "simplepush/3.1/6",
		Title:       "hello with an unknown valid uaid and channels gives a new uaid",
		Level:       must,
		Requirement: "Rule 4: uaid valid but unknown to storage and channelIDs non-empty → generate new (autopush: any uaid without a record).",
		Run: func(ctx context.Context, t *conformance.T) {
			id := newUAID()
			expectNewUAID(ctx, t, strconv.Quote(id), fmt.Sprintf("[%q]", newChID()), id)
			if t.Profile() == ProfileAutopush {
				id = newUAID()
				expectNewUAID(ctx, t, strconv.Quote(id), "[]", id)
			}
		},
	}, {
		ID:          "simplepush/3.1/7",
		Title:       "hello with a known uaid and more than max-channels channelIDs gives a new uaid",
		Level:       compat,
		Profiles:    pushgoWire,
		Requirement: "Rule 3 (pushgo): len(channelIDs) > max_channels (default 200) → drop all stored records for that uaid and generate new (TestTooManyChannels).",
		Run: func(ctx context.Context, t *conformance.T) {
			max, err := strconv.Atoi(or(t.Param(ParamMaxChannels), "200"))
			if err != nil || max < 0 || max > 100000 {
				t.Errorf("the %s parameter %q is not a count", ParamMaxChannels, t.Param(ParamMaxChannels))
			}
			u := session(ctx, t)
			u.Close()
			ids := make([]string, max+1)
			for i := range ids {
				ids[i] = newChID()
			}
			list := `["` + strings.Join(ids, `","`) + `"]`
			expectNewUAID(ctx, t, strconv.Quote(u.uaid), list, u.uaid)
		},
	}, {
		ID:          "simplepush/3.1/8",
		Title:       `messageType "HELLO" and "Hello" are accepted`,
		Level:       compat,
		Profiles:    pushgoWire,
		Requirement: `pushgo lower-cases the value ("HELLO", "Hello" accepted; TestHeloCase).`,
		Run: func(ctx context.Context, t *conformance.T) {
			for _, typ := range []string{"HELLO", "Hello"} {
				u := dial(ctx, t)
				u.Send(fmt.Sprintf(`{"messageType":%q,"uaid":"","channelIDs":[]}`, typ))
				m := u.read(`a 200 hello reply`)
				if !strings.EqualFold(m.typ(), "hello") || m.status() != 200 || m.str("uaid") == "" {
					t.Failf("a 200 hello reply with a uaid", "%s", m)
				}
				u.Close()
			}
		},
	}, {
		ID:          "simplepush/3.1/9",
		Title:       "hello without channelIDs gives 401 and the socket is closed",
		Level:       compat,
		Profiles:    pushgoWire,
		Requirement: `pushgo: missing channelIDs → 401 "Missing one or more required command fields" and close (ErrNoParams).`,
		Run: func(ctx context.Context, t *conformance.T) {
			u := dial(ctx, t)
			u.Send(`{"messageType":"hello","uaid":""}`)
			u.expectError("hello", 401, `{"messageType":"hello",...,"status":401,"error":...}`)
			u.expectClose("the server closes the socket after the error")
		},
	}, {
		ID:          "simplepush/3.1/10",
		Title:       "hello without channelIDs gives 200",
		Level:       compat,
		Profiles:    autopushOnly,
		Requirement: "autopush ignores the field.",
		Run: func(ctx context.Context, t *conformance.T) {
			u := dial(ctx, t)
			defer u.Close()
			u.Send(`{"messageType":"hello","uaid":""}`)
			u.helloReply()
		},
	}, {
		ID:          "simplepush/3.1/11",
		Title:       "a repeated hello with the same uaid, then with none, gets 200 with the same uaid",
		Level:       compat,
		Profiles:    pushgoWire,
		Requirement: "pushgo: same uaid or empty uaid → replies 200 again with the current uaid and re-flushes (TestDuplicateHandshake).",
		Run: func(ctx context.Context, t *conformance.T) {
			u := session(ctx, t)
			defer u.Close()
			first := u.uaid
			for _, id := range []string{first, ""} {
				if got := u.hello(id, nil); canonical(got) != canonical(first) {
					t.Failf("200 with the uaid "+first, "uaid %q", got)
				}
			}
		},
	}, {
		ID:          "simplepush/3.1/12",
		Title:       "a repeated hello with another uaid gets 503 and the socket is closed",
		Level:       compat,
		Profiles:    pushgoWire,
		Requirement: `pushgo: a different uaid → 503 "Device ID already assigned" (ErrExistingID) and close.`,
		Run: func(ctx context.Context, t *conformance.T) {
			u := session(ctx, t)
			u.SendJSON(map[string]any{"messageType": "hello", "uaid": newUAID(), "channelIDs": []string{}})
			u.expectError("hello", 503, `{"messageType":"hello",...,"status":503,"error":...}`)
			u.expectClose("the server closes the socket after the error")
		},
	}, {
		ID:          "simplepush/3.1/13",
		Title:       `a repeated hello gets 401 "duplicate hello" and the socket stays open`,
		Level:       compat,
		Profiles:    autopushOnly,
		Requirement: `autopush: any second hello → {"messageType":"hello","reason":"duplicate hello","status":401} (socket stays open, test_hello_dupe).`,
		Run: func(ctx context.Context, t *conformance.T) {
			u := session(ctx, t)
			defer u.Close()
			u.SendJSON(map[string]any{"messageType": "hello", "uaid": u.uaid, "channelIDs": []string{}})
			u.expectError("hello", 401, `{"messageType":"hello","status":401,"reason":"duplicate hello"}`)
			u.barrier() // the socket is still open
		},
	}, {
		ID:          "simplepush/3.1/14",
		Title:       "hello with a numeric uaid gets 401 and the socket is closed",
		Level:       compat,
		Profiles:    pushgoWire,
		Requirement: "Non-string uaid (number/bool) → pushgo 401 + close (JSON type error → ErrInvalidParams).",
		Run: func(ctx context.Context, t *conformance.T) {
			u := dial(ctx, t)
			u.Send(`{"messageType":"hello","uaid":12345,"channelIDs":[]}`)
			u.expectError("hello", 401, `{"messageType":"hello",...,"status":401,"error":...}`)
			u.expectClose("the server closes the socket after the error")
		},
	}, {
		ID:          "simplepush/3.1/15",
		Title:       `hello with member names "uaiD" and "ChannelIDs" is understood`,
		Level:       compat,
		Profiles:    pushgoWire,
		Requirement: `Field names uaid/channelIDs are matched case-insensitively by Go's encoding/json (pushgo accepts "uaiD", "ChannelIDs").`,
		Run: func(ctx context.Context, t *conformance.T) {
			id := newUAID()
			u := dial(ctx, t)
			defer u.Close()
			u.Send(fmt.Sprintf(`{"messageType":"hello","uaiD":%q,"ChannelIDs":[]}`, id))
			if got := u.helloReply(); canonical(got) != id {
				t.Failf("200 keeping the uaid "+id, "uaid %q", got)
			}
		},
	}, {
		ID:          "simplepush/3.1/16",
		Title:       `hello whose type member is " messageType " gets 401 and the socket is closed`,
		Level:       compat,
		Profiles:    pushgoWire,
		Requirement: `The field name must be exactly messageType (a " messageType " key → 401).`,
		Run: func(ctx context.Context, t *conformance.T) {
			u := dial(ctx, t)
			u.Send(`{" messageType ":"hello","uaid":"","channelIDs":[]}`)
			m := u.read(`{...,"status":401,"error":...}`)
			if m.status() != 401 {
				t.Failf(`{...,"status":401,"error":...}`, "%s", m)
			}
			u.expectClose("the server closes the socket after the error")
		},
	}, {
		ID:          "simplepush/3.1/17",
		Title:       `register, unregister and ack before hello get 401 "Command requires handshake" echoing the request, then a close`,
		Level:       compat,
		Profiles:    pushgoWire,
		Requirement: `pushgo: register/unregister/ack → reply {<original request fields>,"status":401,"error":"Command requires handshake"} then close.`,
		Run: func(ctx context.Context, t *conformance.T) {
			chid := newChID()
			for _, c := range []struct{ typ, msg string }{
				{"register", fmt.Sprintf(`{"messageType":"register","channelID":%q}`, chid)},
				{"unregister", fmt.Sprintf(`{"messageType":"unregister","channelID":%q}`, chid)},
				{"ack", fmt.Sprintf(`{"messageType":"ack","updates":[{"channelID":%q,"version":1}]}`, chid)},
			} {
				u := dial(ctx, t)
				u.Send(c.msg)
				m := u.expectError(c.typ, 401, fmt.Sprintf(`{"messageType":%q,...,"status":401,"error":...}`, c.typ))
				if c.typ != "ack" && m.str("channelID") != chid {
					t.Failf("the request's channelID echoed", "%s", m)
				}
				u.expectClose("the server closes the socket after the error")
			}
		},
	}, {
		ID:          "simplepush/3.1/18",
		Title:       "register, unregister and ack before hello close the socket without a reply",
		Level:       compat,
		Profiles:    autopushOnly,
		Requirement: "autopush: any non-hello message → close without reply (test_not_hello).",
		Run: func(ctx context.Context, t *conformance.T) {
			chid := newChID()
			for _, m := range []string{
				fmt.Sprintf(`{"messageType":"register","channelID":%q}`, chid),
				fmt.Sprintf(`{"messageType":"unregister","channelID":%q}`, chid),
				fmt.Sprintf(`{"messageType":"ack","updates":[{"channelID":%q,"version":1}]}`, chid),
			} {
				u := dial(ctx, t)
				u.Send(m)
				u.expectClose("the server closes the socket without a reply")
			}
		},
	}, {
		ID:          "simplepush/3.1/19",
		Title:       "a ping {} before hello is answered",
		Level:       compat,
		Profiles:    pushgoWire,
		Requirement: `pushgo: a ping {} is answered ("Should allow pings from unidentified clients").`,
		Run: func(ctx context.Context, t *conformance.T) {
			u := dial(ctx, t)
			defer u.Close()
			u.Send(`{}`)
			expectPong(u)
		},
	}, {
		ID:          "simplepush/3.1/20",
		Title:       "an update stored while the user agent was away is sent right after its next hello",
		Level:       must,
		Requirement: "After a 200 hello the server immediately flushes pending updates as one notification message.",
		Run: func(ctx context.Context, t *conformance.T) {
			u := session(ctx, t)
			chid := newChID()
			ep := u.register(chid)
			u.Close()
			expectPut(ctx, t, ep, "version=7", "HTTP 202 (stored; the user agent is away)", 202)
			v := dial(ctx, t)
			defer v.Close()
			v.hello(u.uaid, []string{chid})
			if len(v.notes) == 0 {
				const expect = "a notification right after the hello reply"
				m, err := v.next()
				if err != nil {
					v.Failed(expect, err)
				}
				if m.typ() != "notification" {
					t.Failf(expect, "%s", m)
				}
				v.notes = append(v.notes, m)
			}
			v.waitVersion(chid, 7)
		},
	}, {
		ID:          "simplepush/3.1/21",
		Title:       "a second socket saying hello with the same uaid closes the first",
		Level:       must,
		Requirement: "If another socket already holds that uaid: pushgo closes the previous socket; autopush keeps the newer and closes the older one.",
		Run: func(ctx context.Context, t *conformance.T) {
			a := session(ctx, t)
			b := dial(ctx, t)
			defer b.Close()
			if got := b.hello(a.uaid, nil); canonical(got) != canonical(a.uaid) {
				t.Failf("the uaid "+a.uaid+" kept", "uaid %q", got)
			}
			a.expectClose("the server closes the older socket")
		},
	}, {
		ID:          "simplepush/3.1/22",
		Title:       "a socket that never says hello is closed after the hello timeout",
		Level:       compat,
		Requirement: "Hello timeout: pushgo client_hello_timeout default 30 s measured from socket creation → close. Needs the hello-timeout parameter.",
		Run: func(ctx context.Context, t *conformance.T) {
			d := duration(t, ParamHelloTimeout)
			wctx := fits(ctx, t, d+time.Second)
			u := dial(ctx, t)
			u.WS = u.WithContext(wctx)
			u.expectClose(fmt.Sprintf("the server closes the socket within %v", d+time.Second))
		},
	}}
}

// expectPong reads the answer to a ping: {} or, from pushgo with
// push_long_pongs or for a typed ping, {"messageType":"ping","status":200}.
func expectPong(u *ua) {
	const expect = `{} or {"messageType":"ping","status":200}`
	m := u.read(expect)
	if m.pong() || strings.EqualFold(m.typ(), "ping") && m.status() == 200 {
		return
	}
	u.t.Failf(expect, "%s", m)
}

// duration reads a duration parameter, skipping the case when it is empty.
func duration(t *conformance.T, name string) time.Duration {
	s := t.Param(name)
	if s == "" {
		t.Skipf("the %s parameter is empty: set it to the target's setting to run this case", name)
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		t.Errorf("the %s parameter %q is not a positive duration", name, s)
	}
	return d
}

// fits returns a context ending after d, skipping the case when the case
// timeout is too short for it.
func fits(ctx context.Context, t *conformance.T, d time.Duration) context.Context {
	needTime(ctx, t, d)
	c, cancel := context.WithTimeout(ctx, d)
	context.AfterFunc(ctx, cancel)
	return c
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// needTime skips the case when the case timeout leaves less than d.
func needTime(ctx context.Context, t *conformance.T, d time.Duration) {
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		t.Skipf("the case timeout is too short to wait %v: raise it", d)
	}
}
