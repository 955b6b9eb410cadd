package limpsuite

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"time"

	"github.com/appwire/appwire/conformance"
	"github.com/appwire/appwire/internal/wsconn"
)

// connCases: sections 1 and 2.
func connCases() []conformance.Case {
	return []conformance.Case{
		{
			ID: "limp/1/1", Level: must,
			Title:       "a message larger than the frame limit closes the connection with 1009",
			Requirement: "A message larger than 4 MiB makes the server close the connection with WebSocket code 1009.",
			Run: func(ctx context.Context, t *conformance.T) {
				c := verified(ctx, t)
				limit, _ := t.ParamInt(ParamMaxFrame)
				// Announce limit+1 bytes and send the first KiB: the server
				// must refuse on the length, without waiting for the rest.
				hdr := []byte{0x81, 0x80 | 127}
				hdr = binary.BigEndian.AppendUint64(hdr, uint64(limit)+1)
				hdr = append(hdr, 1, 2, 3, 4)
				hdr = append(hdr, make([]byte, 1024)...)
				t.Sent("text frame header announcing %d bytes, then 1 KiB of it", limit+1)
				_ = c.ws.Conn().WriteRaw(ctx, hdr)
				c.ws.ExpectClose(int(wsconn.StatusMessageTooBig), "close 1009 (message too big)", nil)
			},
		},
		{
			ID: "limp/1/2", Level: must,
			Title:       "a binary message is ignored",
			Requirement: "Binary frames are ignored: no reply, the connection stays.",
			Run: func(ctx context.Context, t *conformance.T) {
				c := verified(ctx, t)
				id := newID()
				p, _ := json.Marshal(c.claims("heart/beat", nil, nil, id))
				frame, _ := json.Marshal(map[string]any{"token": signJWT([]byte(`{"alg":"HS256","typ":"JWT"}`), p, c.key), "call_id": id})
				t.Sent("binary: %s", frame)
				t.Check(c.ws.Conn().WriteMessage(ctx, wsconn.Binary, frame), "writing a binary message")
				r := c.call("heart/beat", nil, nil)
				c.expect(r, 200, "CORE_HEARTBEAT_OK")
			},
		},
		{
			ID: "limp/2.1/1", Level: must,
			Title:       "the server greets a new connection with CORE_CONN_READY",
			Requirement: `On connect the server first sends {"status":200,"msg":"Connection ready","args":{"code":"CORE_CONN_READY"}}.`,
			Run: func(ctx context.Context, t *conformance.T) {
				open(ctx, t, nil)
			},
		},
		{
			ID: "limp/2.1/2", Level: compat,
			Title:       `the greeting's msg is "Connection ready"`,
			Requirement: `The greeting's msg is exactly "Connection ready".`,
			Run: func(ctx context.Context, t *conformance.T) {
				c := open(ctx, t, nil)
				_ = c
				var g struct{ Msg string }
				_ = json.Unmarshal([]byte(c.ws.Last()), &g)
				if g.Msg != "Connection ready" {
					t.Failf(`msg "Connection ready"`, "%s", c.ws.Last())
				}
			},
		},
		{
			ID: "limp/2.2/1", Level: must,
			Title:       "conn/verify is answered 200 CORE_CONN_OK with the call_id",
			Requirement: "An accepted conn/verify is answered status 200, args.code CORE_CONN_OK, args.call_id the call's.",
			Run: func(ctx context.Context, t *conformance.T) {
				verified(ctx, t)
			},
		},
		{
			ID: "limp/2.2/2", Level: compat,
			Title:       `conn/verify's msg is 6.0's "Connection establised"`,
			Requirement: `6.0 answers an accepted verify with msg "Connection establised" (sic).`,
			Run: func(ctx context.Context, t *conformance.T) {
				c := open(ctx, t, nil)
				r := c.call("conn/verify", nil, map[string]any{"app": param(t, ParamApp)})
				c.expectMsg(r, 200, "CORE_CONN_OK", "Connection establised")
			},
		},
		{
			ID: "limp/2.2/3", Level: must,
			Title:       "a call before conn/verify gets 1008 CORE_REQ_NO_VERIFY and the connection is closed",
			Requirement: "Any endpoint other than conn/verify on an unverified connection is answered status 1008 CORE_REQ_NO_VERIFY, then the server closes the connection.",
			Run: func(ctx context.Context, t *conformance.T) {
				c := open(ctx, t, nil)
				r := c.call("heart/beat", nil, nil)
				c.expect(r, 1008, "CORE_REQ_NO_VERIFY")
				c.ws.ExpectClose(-1, "the connection closed", nil)
			},
		},
		{
			ID: "limp/2.2/4", Level: must,
			Title:       "conn/verify with an app the server does not know gets 1008 and a close",
			Requirement: "When client apps are configured, a verify naming another app is answered 1008 CORE_REQ_NO_VERIFY and the connection is closed.",
			Run: func(ctx context.Context, t *conformance.T) {
				wrong := param(t, ParamWrongApp)
				if wrong == "" {
					t.Skipf("no %s parameter: the target's client apps are not known", ParamWrongApp)
				}
				c := open(ctx, t, http.Header{"Origin": {"http://example.invalid"}})
				r := c.call("conn/verify", nil, map[string]any{"app": wrong})
				c.expect(r, 1008, "CORE_REQ_NO_VERIFY")
				c.ws.ExpectClose(-1, "the connection closed", nil)
			},
		},
		{
			ID: "limp/2.3/1", Level: must,
			Title:       "conn/close closes the connection without a reply",
			Requirement: "The call conn/close makes the server close the connection without a reply.",
			Run: func(ctx context.Context, t *conformance.T) {
				c := verified(ctx, t)
				c.send("conn/close", nil, nil)
				c.ws.ExpectClose(-1, "the connection closed, no message", nil)
			},
		},
		{
			ID: "limp/6.4/1", Level: must,
			Title:       "heart/beat is answered 200 CORE_HEARTBEAT_OK",
			Requirement: `heart/beat is answered {"status":200,"msg":"Heartbeat received.","args":{"code":"CORE_HEARTBEAT_OK","call_id":ID}}.`,
			Run: func(ctx context.Context, t *conformance.T) {
				c := verified(ctx, t)
				r := c.call("heart/beat", nil, nil)
				c.expectMsg(r, 200, "CORE_HEARTBEAT_OK", "Heartbeat received.")
			},
		},
		{
			ID: "limp/6.4/2", Level: must,
			Title:       "an idle connection is closed after the idle timeout",
			Requirement: "The server closes a connection that sent nothing for its idle timeout (plus its check period).",
			Run: func(ctx context.Context, t *conformance.T) {
				d, ok := t.ParamDuration(ParamConnTimeout)
				if !ok || d <= 0 {
					t.Skipf("no %s parameter", ParamConnTimeout)
				}
				c := verified(ctx, t)
				wait, cancel := context.WithTimeout(ctx, d+time.Second)
				defer cancel()
				c.ws.WithContext(wait).ExpectClose(-1, "the connection closed within "+(d+time.Second).String(), nil)
			},
		},
	}
}
