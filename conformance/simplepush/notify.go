package spsuite

import (
	"context"
	"fmt"
	"time"

	"github.com/appwire/appwire/conformance"
)

// Spec sections 3.4, 3.5 and 5: notifications, acks, versions.

// registered returns a session with one registered channel and its
// endpoint.
func registered(ctx context.Context, t *conformance.T) (*ua, string, string) {
	u := session(ctx, t)
	chid := newChID()
	return u, chid, u.register(chid)
}

// away registers a channel, closes the socket, and returns the uaid, the
// channel and its endpoint.
func away(ctx context.Context, t *conformance.T) (string, string, string) {
	u, chid, ep := registered(ctx, t)
	u.Close()
	return u.uaid, chid, ep
}

// rehello connects again as uaid with chids.
func rehello(ctx context.Context, t *conformance.T, uaid string, chids ...string) *ua {
	v := dial(ctx, t)
	if got := v.hello(uaid, chids); canonical(got) != canonical(uaid) {
		t.Failf("the uaid "+uaid+" kept on reconnect", "uaid %q", got)
	}
	return v
}

// count returns how many updates for chid the notifications carry.
func count(notes []*msg, chid string) int {
	n := 0
	for _, m := range notes {
		ups, _ := m.updates()
		for _, up := range ups {
			if up.ChannelID == chid {
				n++
			}
		}
	}
	return n
}

func notificationCases() []conformance.Case {
	return []conformance.Case{{
		ID:          "simplepush/3.4/1",
		Title:       `a delivered update is {"messageType":"notification","updates":[{"channelID":C,"version":N}]} with N a JSON number`,
		Level:       must,
		Requirement: "updates: list of {channelID, version}; version is a JSON number. Direct delivery sends one update per message.",
		Run: func(ctx context.Context, t *conformance.T) {
			u, chid, ep := registered(ctx, t)
			defer u.Close()
			expectPut(ctx, t, ep, "version=12", "HTTP 200 (delivered)", 200)
			up, m := u.wait(chid, "a notification for "+chid)
			if v, ok := up.ver(); !ok || v != 12 {
				t.Failf(fmt.Sprintf(`{"channelID":%q,"version":12} (a number)`, chid), "%s", m)
			}
			if ups, _ := m.updates(); len(ups) != 1 {
				t.Failf("one update per direct delivery", "%s", m)
			}
		},
	}, {
		ID:          "simplepush/3.4/2",
		Title:       "updates stored for two channels while away are flushed in one notification after hello",
		Level:       compat,
		Requirement: "Flush (after hello/ack) batches all pending (pushgo Flush, autopush process_notifications).",
		Run: func(ctx context.Context, t *conformance.T) {
			u := session(ctx, t)
			a, b := newChID(), newChID()
			epA, epB := u.register(a), u.register(b)
			u.Close()
			expectPut(ctx, t, epA, "version=1", "HTTP 202 (stored)", 202)
			expectPut(ctx, t, epB, "version=2", "HTTP 202 (stored)", 202)
			v := rehello(ctx, t, u.uaid, a, b)
			defer v.Close()
			_, m := v.wait(a, "a notification for "+a)
			if count([]*msg{m}, b) != 1 {
				t.Failf("one notification carrying both channels", "%s", m)
			}
		},
	}}
}

func ackCases() []conformance.Case {
	return []conformance.Case{{
		ID:          "simplepush/3.5/1",
		Title:       "an acked update is not sent again after reconnecting",
		Level:       must,
		Requirement: "Acked updates are never re-sent (test_dont_deliver_acked).",
		Run: func(ctx context.Context, t *conformance.T) {
			u, chid, ep := registered(ctx, t)
			expectPut(ctx, t, ep, "version=6", "HTTP 200 (delivered)", 200)
			u.waitVersion(chid, 6)
			u.ack(chid, 6)
			u.noUpdate(chid, "no resend after the ack")
			u.Close()
			v := rehello(ctx, t, u.uaid, chid)
			defer v.Close()
			v.noUpdate(chid, "no resend of an acked update after hello")
		},
	}, {
		ID:          "simplepush/3.5/2",
		Title:       "an ack of an older version does not clear a newer pending one",
		Level:       must,
		Profiles:    autopushRule,
		Requirement: "autopush drops the stored record only if the ack's version is the one sent or newer (conditional delete): an ack of an older version does not clear a newer pending one. pushgo's ack drops the record whatever the version, so this is autopush's rule (and the one recommended), not pushgo's.",
		Run: func(ctx context.Context, t *conformance.T) {
			u, chid, ep := registered(ctx, t)
			expectPut(ctx, t, ep, "version=20", "HTTP 200 (delivered)", 200)
			u.waitVersion(chid, 20)
			u.ack(chid, 19)
			u.barrier()
			u.Close()
			v := rehello(ctx, t, u.uaid, chid)
			defer v.Close()
			v.waitVersion(chid, 20)
		},
	}, {
		ID:          "simplepush/3.5/3",
		Title:       "after an ack the server sends again what is still pending, updates already sent on this socket included",
		Level:       compat,
		Profiles:    pushgoOnly,
		Requirement: "pushgo keeps every update as a live record until acked and re-flushes all of them after each ack. autopush's check_missed_notifications after an ack reads only stored updates, and a directly delivered one is stored only when the socket closes, so autopush does not re-send it: this is pushgo's behaviour.",
		Run: func(ctx context.Context, t *conformance.T) {
			u := session(ctx, t)
			defer u.Close()
			a, b := newChID(), newChID()
			epA, epB := u.register(a), u.register(b)
			expectPut(ctx, t, epA, "version=1", "HTTP 200 (delivered)", 200)
			expectPut(ctx, t, epB, "version=1", "HTTP 200 (delivered)", 200)
			u.waitVersion(a, 1)
			u.waitVersion(b, 1)
			u.notes = nil
			u.ack(a, 1)
			u.barrier() // the ack's flush comes before the barrier's reply
			if count(u.notes, b) == 0 {
				t.Failf(fmt.Sprintf("a notification with the unacked %s before the next reply", b), "none")
			}
		},
	}, {
		ID:          "simplepush/3.5/4",
		Title:       "an ack gets no reply",
		Level:       must,
		Requirement: "No reply from the server.",
		Run: func(ctx context.Context, t *conformance.T) {
			u, chid, ep := registered(ctx, t)
			defer u.Close()
			expectPut(ctx, t, ep, "version=2", "HTTP 200 (delivered)", 200)
			u.waitVersion(chid, 2)
			u.ack(chid, 2)
			if other := u.barrier(); len(other) > 0 {
				t.Failf("no reply to the ack", "%s", other[0])
			}
		},
	}, {
		ID:          "simplepush/3.5/5",
		Title:       "an ack without updates and expired gets 401, then a close",
		Level:       compat,
		Profiles:    pushgoWire,
		Requirement: "pushgo: empty/missing updates and expired → 401 + close (ErrNoParams).",
		Run: func(ctx context.Context, t *conformance.T) {
			u := session(ctx, t)
			u.Send(`{"messageType":"ack"}`)
			u.expectError("ack", 401, `{"messageType":"ack","status":401,"error":...}`)
			u.expectClose("the server closes the socket after the error")
		},
	}, {
		ID:          "simplepush/3.5/6",
		Title:       "a malformed ack is ignored: no reply, the socket stays open",
		Level:       compat,
		Profiles:    autopushOnly,
		Requirement: "autopush: malformed/missing updates silently ignored (test_ack_with_bad_input).",
		Run: func(ctx context.Context, t *conformance.T) {
			u := session(ctx, t)
			defer u.Close()
			u.Send(`{"messageType":"ack"}`)
			u.Send(`{"messageType":"ack","updates":[]}`)
			if other := u.barrier(); len(other) > 0 {
				t.Failf("no reply to a malformed ack", "%s", other[0])
			}
		},
	}, {
		ID:          "simplepush/3.5/7",
		Title:       `{"messageType":"purge"} is a no-op: no reply, the socket stays open`,
		Level:       compat,
		Profiles:    pushgoWire,
		Requirement: "pushgo accepts {\"messageType\":\"purge\"} as a no-op (the pushgo client sends it on close); autopush closes the socket on this unknown type, so this is pushgo's behaviour.",
		Run: func(ctx context.Context, t *conformance.T) {
			u := session(ctx, t)
			defer u.Close()
			u.Send(`{"messageType":"purge"}`)
			if other := u.barrier(); len(other) > 0 {
				t.Failf("no reply to purge", "%s", other[0])
			}
		},
	}, {
		ID:          "simplepush/3.5/8",
		Title:       "an ack does not bring back updates this socket already got",
		Level:       compat,
		Profiles:    autopushRule,
		Requirement: "autopush's check_missed_notifications after an ack reads only stored updates, and a directly delivered one is stored only when its socket closes: an update the socket already got is not sent again because another channel was acked (it comes back on the next hello if still unacked). pushgo re-flushes everything pending after each ack (simplepush/3.5/3).",
		Run: func(ctx context.Context, t *conformance.T) {
			u := session(ctx, t)
			defer u.Close()
			a, b := newChID(), newChID()
			epA, epB := u.register(a), u.register(b)
			expectPut(ctx, t, epA, "version=1", "HTTP 200 (delivered)", 200)
			expectPut(ctx, t, epB, "version=1", "HTTP 200 (delivered)", 200)
			u.waitVersion(a, 1)
			u.waitVersion(b, 1)
			u.notes = nil
			u.ack(a, 1)
			u.barrier() // anything the ack sends comes before the barrier's reply
			if n := count(u.notes, b); n != 0 {
				t.Failf(fmt.Sprintf("no notification with %s, which the socket already got", b), "%d notifications carrying it", n)
			}
		},
	}}
}

func versionCases() []conformance.Case {
	return []conformance.Case{{
		ID:          "simplepush/5/1",
		Title:       "PUT version 30 then 29 while away: the flush carries 30",
		Level:       must,
		Profiles:    autopushRule,
		Requirement: "Only the latest version per channel is kept; upstreams disagree on what latest means. autopush stores a version only if it is newer than the stored one (conditional put) and answers 202 either way; pushgo stores the last write. Recommended, and autopush's rule: store max(version); still return 200/202.",
		Run: func(ctx context.Context, t *conformance.T) {
			uaid, chid, ep := away(ctx, t)
			expectPut(ctx, t, ep, "version=30", "HTTP 202 (stored)", 202)
			expectPut(ctx, t, ep, "version=29", "HTTP 202", 202)
			v := rehello(ctx, t, uaid, chid)
			defer v.Close()
			v.waitVersion(chid, 30)
		},
	}, {
		ID:          "simplepush/5/2",
		Title:       "PUT versions 1, 2, 3 while away: the flush carries only version 3",
		Level:       must,
		Requirement: "Only the latest version per channel is kept; intermediate versions may be skipped.",
		Run: func(ctx context.Context, t *conformance.T) {
			uaid, chid, ep := away(ctx, t)
			for v := 1; v <= 3; v++ {
				expectPut(ctx, t, ep, fmt.Sprintf("version=%d", v), "HTTP 202 (stored)", 202)
			}
			v := rehello(ctx, t, uaid, chid)
			defer v.Close()
			up, m := v.wait(chid, "a notification for "+chid)
			if n, ok := up.ver(); !ok || n != 3 || count([]*msg{m}, chid) != 1 {
				t.Failf(fmt.Sprintf(`one update {"channelID":%q,"version":3}`, chid), "%s", m)
			}
		},
	}, {
		ID:          "simplepush/5/3",
		Title:       "a delivered but unacked update is sent again after reconnecting",
		Level:       must,
		Requirement: "autopush re-sends stored unacked updates on every reconnect (test_delivery_repeat_without_ack); a directly-delivered but unacked update is re-delivered with identical channelID/version.",
		Run: func(ctx context.Context, t *conformance.T) {
			u, chid, ep := registered(ctx, t)
			expectPut(ctx, t, ep, "version=8", "HTTP 200 (delivered)", 200)
			u.waitVersion(chid, 8)
			u.Close()
			v := rehello(ctx, t, u.uaid, chid)
			defer v.Close()
			v.waitVersion(chid, 8)
		},
	}, {
		ID:          "simplepush/5/4",
		Title:       "an unacked update is sent again on the live socket after the retransmit interval",
		Level:       should,
		Requirement: "PushServers should retry unacknowledged notifications every 60 seconds. Needs the retransmit-interval parameter.",
		Run: func(ctx context.Context, t *conformance.T) {
			d := duration(t, ParamRetransmitInterval)
			u, chid, ep := registered(ctx, t)
			defer u.Close()
			wctx := fits(ctx, t, 2*d+time.Second)
			expectPut(ctx, t, ep, "version=5", "HTTP 200 (delivered)", 200)
			u.waitVersion(chid, 5)
			u.WS = u.WithContext(wctx)
			u.waitVersion(chid, 5)
		},
	}}
}
