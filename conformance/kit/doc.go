// Package kit is the client side every conformance suite shares: a
// WebSocket connection, one HTTP request, JSON comparisons and fresh ids,
// each recording what crosses the wire into the case's bounded wire log
// (conformance.T keeps the last entries, each cut to a bounded length).
//
// Start here: [Dial] and [TryDial] open a WebSocket, [Do] sends one HTTP
// request on a fresh connection, [JSONEqual] and [MemberOrder] compare
// JSON, [NewID] and [NewUUID] make ids that do not collide with other
// cases running at the same time.
//
// Every call that talks to the target tells an unreachable target from a
// broken one: when no TCP connection could be made, the case ends with
// Error (the harness could not judge); once the target accepted the
// connection, anything wrong ends the case with Fail. Reads end at the
// case's context; a close frame, a dropped connection and a timeout are
// described the same way by every suite ([CloseText], [HandshakeText]).
//
// Replies are checked with encoding/json and byte scans, never with the
// protocol's own codec, so a codec bug cannot hide a server bug.
//
// A new suite's plumbing is a few lines on top of the kit:
//
//	// wsURL is the suite's own rule for where the socket is.
//	func session(ctx context.Context, t *conformance.T) *kit.WS {
//		w := kit.Dial(ctx, t, wsURL(t), kit.DialOptions{Protocols: []string{"limp.v1"}},
//			"101 Switching Protocols with Sec-WebSocket-Protocol: limp.v1")
//		w.Send(`{"op":"hello"}`)
//		var hello struct{ Status int }
//		if err := json.Unmarshal(w.Read(`{"op":"hello","status":200}`), &hello); err != nil || hello.Status != 200 {
//			t.Failf(`{"op":"hello","status":200}`, "%s", w.Last())
//		}
//		return w
//	}
//
//	// A case over HTTP:
//	Run: func(ctx context.Context, t *conformance.T) {
//		r := kit.Do(ctx, t, kit.Request{Method: "POST", URL: t.URL() + "/rooms", Body: []byte(`{}`),
//			Header: http.Header{"Content-Type": {"application/json"}}})
//		r.ExpectStatus(t, "", http.StatusCreated)
//		r.ExpectHeader(t, "Content-Type", "application/json")
//		r.ExpectJSON(t, `{"id":1}`)
//	}
//
// A suite is proven with internal/conformancetest.Prove: the reference
// implementation passes every case, and every case fails against a
// deliberately broken implementation (a Mutant).
package kit
