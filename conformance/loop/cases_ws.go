package loopsuite

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/appwire/appwire/conformance"
	"github.com/appwire/appwire/conformance/kit"
)

// Section 5: the call websocket, its state machine and timers.

// wsMsg is a server message of the call websocket.
type wsMsg struct {
	MessageType string `json:"messageType"`
	State       string `json:"state"`
	Reason      string `json:"reason"`
}

func readMsg(t *conformance.T, w *kit.WS, expect string) wsMsg {
	b := w.Read(expect)
	var m wsMsg
	if err := json.Unmarshal(b, &m); err != nil {
		t.Failf(expect, "not a JSON message: %.200s", b)
	}
	return m
}

// hello dials progressURL, says hello and wants a hello answer (with
// state want unless want is "").
func hello(ctx context.Context, t *conformance.T, progressURL, callID, token, want string) *kit.WS {
	w := kit.Dial(ctx, t, progressURL, kit.DialOptions{}, "a WebSocket at progressURL")
	w.SendJSON(map[string]any{"messageType": "hello", "callId": callID, "auth": token})
	expect := `{"messageType":"hello","state":"` + want + `"}`
	m := readMsg(t, w, expect)
	if m.MessageType != "hello" || (want != "" && m.State != want) {
		t.Failf(expect, "%s", w.Last())
	}
	return w
}

// expectProgress wants the next message to be progress state (with
// reason, when not "").
func expectProgress(t *conformance.T, w *kit.WS, state, reason string) {
	expect := fmt.Sprintf(`{"messageType":"progress","state":%q`, state)
	if reason != "" {
		expect += fmt.Sprintf(`,"reason":%q`, reason)
	}
	expect += "}"
	m := readMsg(t, w, expect)
	if m.MessageType != "progress" || m.State != state || (reason != "" && m.Reason != reason) {
		t.Failf(expect, "%s", w.Last())
	}
}

// expectError wants an error message with reason, then the close.
func expectWSError(t *conformance.T, w *kit.WS, reason string) {
	expect := fmt.Sprintf(`{"messageType":"error","reason":%q} and the socket closed`, reason)
	m := readMsg(t, w, expect)
	if m.MessageType != "error" || m.Reason != reason {
		t.Failf(expect, "%s", w.Last())
	}
	w.ExpectClose(-1, expect, nil)
}

// ringing places a call to a fresh callee and returns the call and the
// callee's websocket token (0.17: through a call URL).
func ringing(ctx context.Context, t *conformance.T) (call, string) {
	s := callee(ctx, t, "")
	cu := createCallURL(ctx, t, s, map[string]any{"callerId": "caller"})
	before := now() - 1
	c := placeCall(ctx, t, cu.token)
	for _, it := range listCalls(ctx, t, s, before) {
		if str(it, "callId") == c.callID {
			return c, str(it, "websocketToken")
		}
	}
	t.Failf("the call listed for the callee", "not listed")
	return c, ""
}

// alerting brings a call to alerting: both parties said hello and both
// got progress alerting.
func alerting(ctx context.Context, t *conformance.T) (caller, callee *kit.WS) {
	c, calleeToken := ringing(ctx, t)
	caller = hello(ctx, t, c.progressURL, c.callID, c.wsToken, "init")
	callee = hello(ctx, t, c.progressURL, c.callID, calleeToken, "")
	expectProgress(t, caller, "alerting", "")
	expectProgress(t, callee, "alerting", "")
	return caller, callee
}

func action(w *kit.WS, event, reason string) {
	m := map[string]any{"messageType": "action", "event": event}
	if reason != "" {
		m["reason"] = reason
	}
	w.SendJSON(m)
}

// timer returns the target's timer from a parameter, or skips.
func timer(t *conformance.T, name string) time.Duration {
	d, ok := t.ParamDuration(name)
	if !ok || d <= 0 {
		t.Skipf("set the %s parameter to the target's value to run this case", name)
	}
	return d
}

// timedOut wants progress terminated:timeout on w, not before early and
// within late.
func timedOut(t *conformance.T, w *kit.WS, start time.Time, d time.Duration) {
	expectProgress(t, w, "terminated", "timeout")
	if el := time.Since(start); el < d*8/10 {
		t.Failf(fmt.Sprintf("the timeout after about %v", d), "terminated after %v", el.Round(time.Millisecond))
	}
}

func wsCases() []conformance.Case {
	return []conformance.Case{{
		ID:          "loop/5.2/1",
		Title:       `the caller's hello with its websocketToken is answered {"messageType":"hello","state":"init"}`,
		Level:       must,
		Requirement: "hello {callId, auth: websocketToken} is answered with the call's state; a new call is init.",
		Profiles:    only017,
		Run: func(ctx context.Context, t *conformance.T) {
			c, _ := ringing(ctx, t)
			hello(ctx, t, c.progressURL, c.callID, c.wsToken, "init")
		},
	}, {
		ID:          "loop/5.2/2",
		Title:       `hello with a wrong token gets {"messageType":"error","reason":"bad authentication"} and the close`,
		Level:       must,
		Requirement: "The auth of hello must be the caller's or the callee's websocket token.",
		Profiles:    only017,
		Run: func(ctx context.Context, t *conformance.T) {
			c, _ := ringing(ctx, t)
			w := kit.Dial(ctx, t, c.progressURL, kit.DialOptions{}, "a WebSocket at progressURL")
			w.SendJSON(map[string]any{"messageType": "hello", "callId": c.callID, "auth": otherHex(c.wsToken)})
			expectWSError(t, w, "bad authentication")
		},
	}, {
		ID:          "loop/5.2/3",
		Title:       `hello with an unknown callId gets {"messageType":"error","reason":"bad callId"}`,
		Level:       must,
		Requirement: "A hello for a call that does not exist is refused.",
		Profiles:    only017,
		Run: func(ctx context.Context, t *conformance.T) {
			c, _ := ringing(ctx, t)
			w := kit.Dial(ctx, t, c.progressURL, kit.DialOptions{}, "a WebSocket at progressURL")
			w.SendJSON(map[string]any{"messageType": "hello", "callId": "0123456789abcdef0123456789abcdef", "auth": c.wsToken})
			expectWSError(t, w, "bad callId")
		},
	}, {
		ID:          "loop/5.3/1",
		Title:       "when the callee says hello after the caller, both get progress alerting",
		Level:       must,
		Requirement: "init.caller and init.callee make the state set's cardinality 3: alerting, broadcast to both parties.",
		Profiles:    only017,
		Run: func(ctx context.Context, t *conformance.T) {
			alerting(ctx, t)
		},
	}, {
		ID:          "loop/5.4/1",
		Title:       "accept, then media-up from both: connecting, half-connected, connected, each broadcast to both",
		Level:       must,
		Requirement: "accept (from alerting) gives connecting; the first media-up half-connected, the second connected; the server then closes the sockets.",
		Profiles:    only017,
		Run: func(ctx context.Context, t *conformance.T) {
			caller, callee := alerting(ctx, t)
			action(callee, "accept", "")
			expectProgress(t, caller, "connecting", "")
			expectProgress(t, callee, "connecting", "")
			action(caller, "media-up", "")
			expectProgress(t, caller, "half-connected", "")
			expectProgress(t, callee, "half-connected", "")
			action(callee, "media-up", "")
			expectProgress(t, caller, "connected", "")
			expectProgress(t, callee, "connected", "")
		},
	}, {
		ID:          "loop/5.4/2",
		Title:       "terminate with reason cancel reaches the other party as progress terminated, reason cancel",
		Level:       must,
		Requirement: "terminate ends the call in any state; the reason is broadcast with it.",
		Profiles:    only017,
		Run: func(ctx context.Context, t *conformance.T) {
			caller, callee := alerting(ctx, t)
			action(caller, "terminate", "cancel")
			expectProgress(t, callee, "terminated", "cancel")
		},
	}, {
		ID:          "loop/5.4/3",
		Title:       `terminate with a reason outside [a-zA-Z0-9-] gets "Invalid reason: should be alphanumeric"`,
		Level:       must,
		Requirement: "A termination reason must match ^[a-zA-Z0-9-]+$.",
		Profiles:    only017,
		Run: func(ctx context.Context, t *conformance.T) {
			caller, _ := alerting(ctx, t)
			action(caller, "terminate", "no way!")
			expectWSError(t, caller, "Invalid reason: should be alphanumeric")
		},
	}, {
		ID:          "loop/5.4/4",
		Title:       `media-up while alerting gets "No transition from alerting state with media-up event."`,
		Level:       must,
		Requirement: "Actions follow the state machine; an action with no transition from the current state is an error.",
		Profiles:    only017,
		Run: func(ctx context.Context, t *conformance.T) {
			caller, _ := alerting(ctx, t)
			action(caller, "media-up", "")
			expectWSError(t, caller, "No transition from alerting state with media-up event.")
		},
	}, {
		ID:          "loop/5.5/1",
		Title:       "supervisory timer: a caller alone is terminated with reason timeout",
		Level:       must,
		Requirement: "After a hello the other party must say hello within timers.supervisoryDuration, or the call terminates (timeout).",
		Profiles:    only017,
		Run: func(ctx context.Context, t *conformance.T) {
			d := timer(t, ParamSupervisory)
			c, _ := ringing(ctx, t)
			start := time.Now()
			w := hello(ctx, t, c.progressURL, c.callID, c.wsToken, "init")
			timedOut(t, w, start, d)
		},
	}, {
		ID:          "loop/5.5/2",
		Title:       "ringing timer: a call nobody accepts is terminated with reason timeout",
		Level:       must,
		Requirement: "The callee must accept within timers.ringingDuration of its hello, or the call terminates (timeout).",
		Profiles:    only017,
		Run: func(ctx context.Context, t *conformance.T) {
			d := timer(t, ParamRinging)
			start := time.Now()
			caller, callee := alerting(ctx, t)
			timedOut(t, caller, start, d)
			expectProgress(t, callee, "terminated", "timeout")
		},
	}, {
		ID:          "loop/5.5/3",
		Title:       "connection timer: an accepted call without media-up is terminated with reason timeout",
		Level:       must,
		Requirement: "After accept both parties must send media-up within timers.connectionDuration, or the call terminates (timeout).",
		Profiles:    only017,
		Run: func(ctx context.Context, t *conformance.T) {
			d := timer(t, ParamConnection)
			caller, callee := alerting(ctx, t)
			start := time.Now()
			action(callee, "accept", "")
			expectProgress(t, caller, "connecting", "")
			timedOut(t, caller, start, d)
		},
	}, {
		ID:          "loop/5.6/1",
		Title:       "a call is no longer listed once callDuration has passed",
		Level:       must,
		Requirement: "A call record lives callDuration (60 s); GET /calls forgets expired calls.",
		Profiles:    only017,
		Run: func(ctx context.Context, t *conformance.T) {
			d := timer(t, ParamCallDuration)
			s := callee(ctx, t, "")
			cu := createCallURL(ctx, t, s, map[string]any{"callerId": "a"})
			before := now() - 1
			c := placeCall(ctx, t, cu.token)
			found := false
			for _, it := range listCalls(ctx, t, s, before) {
				found = found || str(it, "callId") == c.callID
			}
			if !found {
				t.Failf("the call listed at first", "not listed")
			}
			select {
			case <-time.After(d + time.Second):
			case <-ctx.Done():
				t.Errorf("the case timeout is shorter than the call duration %v", d)
			}
			for _, it := range listCalls(ctx, t, s, before) {
				if str(it, "callId") == c.callID {
					t.Failf("the call gone after "+d.String(), "%s", mustJSON(it))
				}
			}
		},
	}}
}

// otherHex returns tok with its first character changed, so it is never
// the token itself (nor, with overwhelming odds, the other party's).
func otherHex(tok string) string {
	if tok == "" {
		return "0"
	}
	c := byte('0')
	if tok[0] == '0' {
		c = '1'
	}
	return string(c) + tok[1:]
}
