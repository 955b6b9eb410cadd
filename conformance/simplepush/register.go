package spsuite

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"

	"github.com/appwire/appwire/conformance"
)

// Spec sections 3.2 and 3.3: register and unregister.

// pushgoBadChIDs are pushgo's registerIdTests and TestChannelTooLong, as
// raw JSON values of channelID.
func pushgoBadChIDs() []string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = 'g' + b[i]%20 // 32 bytes, none of them hex
	}
	return []string{`"invalid_uaid"`, `" fooey barrey "`, `"0"`, `"-66000"`, `-66000`, `true`, `"\u0000"`, fmt.Sprintf("%q", b[:])}
}

func registerCases() []conformance.Case {
	return []conformance.Case{{
		ID:          "simplepush/3.2/1",
		Title:       "register of a new channel gives 200 echoing channelID with an http(s) pushEndpoint",
		Level:       must,
		Requirement: `Server: {"messageType":"register","channelID":"<same>","status":200,"pushEndpoint":"<url>"}.`,
		Run: func(ctx context.Context, t *conformance.T) {
			u := session(ctx, t)
			defer u.Close()
			endpointURL(t, u.register(newChID()))
		},
	}, {
		ID:          "simplepush/3.2/2",
		Title:       "the register reply carries the uaid",
		Level:       compat,
		Profiles:    pushgoWire,
		Requirement: `pushgo also includes "uaid" in the register reply.`,
		Run: func(ctx context.Context, t *conformance.T) {
			u := session(ctx, t)
			defer u.Close()
			u.SendJSON(map[string]any{"messageType": "register", "channelID": newChID()})
			m := u.reply("register", "a register reply")
			if canonical(m.str("uaid")) != canonical(u.uaid) {
				t.Failf(fmt.Sprintf(`a register reply with "uaid":%q`, u.uaid), "%s", m)
			}
		},
	}, {
		ID:          "simplepush/3.2/3",
		Title:       "registering the same channel twice gives 200 both times, and the second endpoint works",
		Level:       must,
		Requirement: "200 OK (idempotent re-register of own channel → 200 with an endpoint; TestDuplicateRegister).",
		Run: func(ctx context.Context, t *conformance.T) {
			u := session(ctx, t)
			defer u.Close()
			chid := newChID()
			u.register(chid)
			ep := u.register(chid)
			expectPut(ctx, t, ep, "version=3", "HTTP 200 (delivered)", 200)
			u.waitVersion(chid, 3)
		},
	}, {
		ID:          "simplepush/3.2/4",
		Title:       `register with channelID "invalid_uaid", " fooey barrey ", "0", "-66000", -66000, true, "\u0000" or 32 non-hex bytes gets 401, then a close`,
		Level:       compat,
		Profiles:    pushgoWire,
		Requirement: "pushgo register: must pass id.Valid (32 or 36, hex) else 401 + close (TestChannelTooLong, registerIdTests).",
		Run: func(ctx context.Context, t *conformance.T) {
			for _, bad := range pushgoBadChIDs() {
				u := session(ctx, t)
				u.Send(`{"messageType":"register","channelID":` + bad + `}`)
				u.expectError("register", 401, `{"messageType":"register",...,"status":401,"error":...}`)
				u.expectClose("the server closes the socket after the error")
			}
		},
	}, {
		ID:          "simplepush/3.2/5",
		Title:       "register with an upper-case or undashed channelID gets 401 with a reason; the socket stays open",
		Level:       compat,
		Profiles:    autopushOnly,
		Requirement: `autopush register: str(uuid.UUID(chid)) == chid (lower-case, dashed) else {"messageType":"register","status":401,"reason":...} and the socket stays open.`,
		Run: func(ctx context.Context, t *conformance.T) {
			u := session(ctx, t)
			defer u.Close()
			for _, bad := range []string{strings.ToUpper(newChID()), newUAID(), "invalid_uaid"} {
				u.SendJSON(map[string]any{"messageType": "register", "channelID": bad})
				u.expectError("register", 401, `{"messageType":"register","status":401,"reason":...}`)
			}
			u.register(newChID())
		},
	}, {
		ID:          "simplepush/3.2/6",
		Title:       "register with an undashed or upper-case dashed channelID gives 200",
		Level:       compat,
		Profiles:    pushgoWire,
		Requirement: "Recommend: accept any id.Valid form (32 or 36 hex, any case).",
		Run: func(ctx context.Context, t *conformance.T) {
			u := session(ctx, t)
			defer u.Close()
			for _, id := range []string{newUAID(), strings.ToUpper(newChID())} {
				u.register(id)
			}
		},
	}, {
		ID:          "simplepush/3.2/7",
		Title:       "register without channelID gets 401",
		Level:       must,
		Requirement: "Invalid chid → 401 (missing channel: pushgo 401 + close, autopush 401).",
		Run: func(ctx context.Context, t *conformance.T) {
			u := session(ctx, t)
			defer u.Close()
			u.Send(`{"messageType":"register"}`)
			u.expectError("register", 401, `{"messageType":"register",...,"status":401,...}`)
		},
	}}
}

func unregisterCases() []conformance.Case {
	return []conformance.Case{{
		ID:          "simplepush/3.3/1",
		Title:       "unregister of a registered channel gives 200 echoing channelID",
		Level:       must,
		Requirement: `Server: {"messageType":"unregister","channelID":"<chid>","status":200}.`,
		Run: func(ctx context.Context, t *conformance.T) {
			u := session(ctx, t)
			defer u.Close()
			chid := newChID()
			u.register(chid)
			u.unregister(chid)
		},
	}, {
		ID:          "simplepush/3.3/2",
		Title:       "unregistering twice, and unregistering a channel never registered, give 200",
		Level:       must,
		Requirement: "Always 200, idempotent, also for unknown channels (TestUnregister sends twice, both 200).",
		Run: func(ctx context.Context, t *conformance.T) {
			u := session(ctx, t)
			defer u.Close()
			chid := newChID()
			u.register(chid)
			u.unregister(chid)
			u.unregister(chid)
			u.unregister(newChID())
		},
	}, {
		ID:          "simplepush/3.3/3",
		Title:       "unregistering another uaid's channel gives 200 and leaves that channel working",
		Level:       must,
		Requirement: "Always 200 ... also for channels of another uaid (which MUST NOT be deleted).",
		Run: func(ctx context.Context, t *conformance.T) {
			owner := session(ctx, t)
			defer owner.Close()
			chid := newChID()
			ep := owner.register(chid)
			other := session(ctx, t)
			other.unregister(chid)
			other.Close()
			expectPut(ctx, t, ep, "version=5", "HTTP 200: the owner's channel is still registered and delivered", 200)
			owner.waitVersion(chid, 5)
		},
	}, {
		ID:          "simplepush/3.3/4",
		Title:       "after unregister, a PUT to the channel's endpoint is not delivered",
		Level:       must,
		Profiles:    autopushRule,
		Requirement: "After unregister no further updates for that chid are delivered (autopush test_no_delivery_to_unregistered). pushgo re-creates an unregistered channel on the next PUT and delivers it (its README lists closed-channel responses as not implemented), so this is autopush's rule.",
		Run: func(ctx context.Context, t *conformance.T) {
			u := session(ctx, t)
			defer u.Close()
			chid := newChID()
			ep := u.register(chid)
			u.unregister(chid)
			if s := put(ctx, t, ep, "version=9"); s == 200 {
				t.Failf("no delivery (the endpoint answers 202, 404 or 410)", "HTTP 200 (delivered)")
			}
			u.noUpdate(chid, "no notification for the unregistered channel")
		},
	}, {
		ID:          "simplepush/3.3/5",
		Title:       "unregister drops an unacked update: it is not sent again on the next hello",
		Level:       must,
		Requirement: "After unregister no further updates for that chid are delivered, including already-queued ones.",
		Run: func(ctx context.Context, t *conformance.T) {
			u := session(ctx, t)
			chid := newChID()
			ep := u.register(chid)
			expectPut(ctx, t, ep, "version=4", "HTTP 200 (delivered)", 200)
			u.waitVersion(chid, 4)
			u.unregister(chid)
			u.Close()
			v := dial(ctx, t)
			defer v.Close()
			v.hello(u.uaid, nil)
			v.noUpdate(chid, "no notification for the unregistered channel after hello")
		},
	}, {
		ID:          "simplepush/3.3/6",
		Title:       "unregister without channelID gets 401",
		Level:       must,
		Requirement: `Missing/empty channelID → pushgo 401 + close; autopush 401 "Missing ChannelID".`,
		Run: func(ctx context.Context, t *conformance.T) {
			u := session(ctx, t)
			defer u.Close()
			u.Send(`{"messageType":"unregister"}`)
			u.expectError("unregister", 401, `{"messageType":"unregister",...,"status":401,...}`)
		},
	}}
}
