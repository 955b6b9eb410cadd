package spsuite

import (
	"context"
	"fmt"
	"time"

	"github.com/appwire/appwire/conformance"
)

// Spec sections 3.6, 3.7 and 7: ping, errors, wake-up extras.

func pingCases() []conformance.Case {
	return []conformance.Case{{
		ID:          "simplepush/3.6/1",
		Title:       "a ping {} after hello is answered with {}",
		Level:       must,
		Requirement: `Client sends the 2-char text {}; server replies {} (pushgo push_long_pongs: {"messageType":"ping","status":200}).`,
		Run: func(ctx context.Context, t *conformance.T) {
			u := session(ctx, t)
			defer u.Close()
			u.Send(`{}`)
			if t.Profile() == ProfileAutopush {
				if m := u.read("{}"); !m.pong() {
					t.Failf("{}", "%s", m)
				}
				return
			}
			expectPong(u)
		},
	}, {
		ID:          "simplepush/3.6/2",
		Title:       `a typed ping {"messageType":"PING"} (any case) is answered`,
		Level:       compat,
		Profiles:    pushgoWire,
		Requirement: `pushgo also accepts a typed ping {"messageType":"ping"} in any case ("PING", "Ping" → 200 pong, TestPingCase).`,
		Run: func(ctx context.Context, t *conformance.T) {
			for _, typ := range []string{"ping", "PING", "Ping"} {
				u := session(ctx, t)
				u.Send(fmt.Sprintf(`{"messageType":%q}`, typ))
				expectPong(u)
				u.Close()
			}
		},
	}, {
		ID:          "simplepush/3.6/3",
		Title:       "a second ping right after the first gets 401 and a close",
		Level:       compat,
		Profiles:    pushgoWire,
		Requirement: `pushgo: client_min_ping_interval default 20 s → faster pings get {"status":401,"error":"Client sent too many pings"} and close (ErrTooManyPings).`,
		Run: func(ctx context.Context, t *conformance.T) {
			u := session(ctx, t)
			u.Send(`{}`)
			expectPong(u)
			u.Send(`{}`)
			const expect = `{...,"status":401,"error":"Client sent too many pings"}`
			if m := u.read(expect); m.status() != 401 || m.str("error") == "" {
				t.Failf(expect, "%s", m)
			}
			u.expectClose("the server closes the socket after the error")
		},
	}, {
		ID:          "simplepush/3.6/4",
		Title:       "a second ping right after the first closes the socket with code 4774",
		Level:       compat,
		Profiles:    autopushOnly,
		Requirement: "autopush: last ping < 55 s ago → WebSocket close with code 4774.",
		Run: func(ctx context.Context, t *conformance.T) {
			u := session(ctx, t)
			u.Send(`{}`)
			if m := u.read("{}"); !m.pong() {
				t.Failf("{}", "%s", m)
			}
			u.Send(`{}`)
			u.expectCloseCode(4774, "close code 4774, no reply")
		},
	}, {
		ID:          "simplepush/3.6/5",
		Title:       "a ping sent the minimum interval after the previous one is answered",
		Level:       must,
		Requirement: "UA MUST NOT send a Ping more frequently than once a minute; a server limits pings (pushgo 20 s, autopush 55 s) but answers a UA within the limit. Needs the min-ping-interval parameter.",
		Run: func(ctx context.Context, t *conformance.T) {
			d := duration(t, ParamMinPingInterval)
			needTime(ctx, t, d+time.Second)
			u := session(ctx, t)
			defer u.Close()
			u.Send(`{}`)
			expectPong(u)
			wait := time.NewTimer(d + d/10 + 10*time.Millisecond)
			defer wait.Stop()
			select {
			case <-wait.C:
			case <-ctx.Done():
				t.Errorf("the case timed out waiting %v", d)
			}
			u.Send(`{}`)
			expectPong(u)
		},
	}}
}

func errorCases() []conformance.Case {
	return []conformance.Case{{
		ID:          "simplepush/3.7/1",
		Title:       "a message that is not JSON closes the socket without a reply",
		Level:       compat,
		Requirement: "Unparseable JSON: close without reply.",
		Run: func(ctx context.Context, t *conformance.T) {
			u := session(ctx, t)
			u.Send(`hello?`)
			u.expectClose("the server closes the socket without a reply")
		},
	}, {
		ID:          "simplepush/3.7/2",
		Title:       `an unknown messageType gets 401 echoing the request with "error", then a close`,
		Level:       compat,
		Profiles:    pushgoWire,
		Requirement: "pushgo replies to a bad command by echoing the request object plus status and error (text), then closes the socket; 102 unsupported type → 401.",
		Run: func(ctx context.Context, t *conformance.T) {
			u := session(ctx, t)
			u.Send(`{"messageType":"frobnicate","x":1}`)
			m := u.expectError("frobnicate", 401, `{"messageType":"frobnicate","x":1,"status":401,"error":...}`)
			if string(m.Obj["x"]) != "1" {
				t.Failf(`the request's "x":1 echoed`, "%s", m)
			}
			u.expectClose("the server closes the socket after the error")
		},
	}}
}

func wakeupCases() []conformance.Case {
	return []conformance.Case{{
		ID:          "simplepush/7/1",
		Title:       "hello carrying connect, interface and mobilenetwork extras gets 200",
		Level:       must,
		Requirement: "Server MAY ignore extras. Recommendation: accept and ignore connect/interface/mobilenetwork.",
		Run: func(ctx context.Context, t *conformance.T) {
			u := dial(ctx, t)
			defer u.Close()
			u.Send(`{"messageType":"hello","uaid":"","channelIDs":[],"connect":{"regid":"x"},` +
				`"interface":{"ip":"127.0.0.1","port":9},"mobilenetwork":{"mcc":"214","mnc":"07"}}`)
			u.helloReply()
		},
	}}
}
