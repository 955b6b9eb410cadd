// Package afbproto implements the AGL binder (afb-daemon) protocol: the
// afb-reply and afb-event JSON objects, the x-afb-ws-json1 WebSocket
// frames, HTTP and WebSocket clients, and a reference binder server with
// a Go API for bindings. The protocol reference it follows is
// docs/protocols/afb.md of the appwire repository.
//
// # Start here
//
//	b, _ := afbproto.NewBinder(afbproto.Options{Token: afbproto.FixedToken("HELLO")})
//	b.AddAPI(afbproto.NewHelloAPI()) // and NewAuthAPI, or your own API{Name, Verbs}
//	b.Serve(ctx, listener)           // or mount b (an http.Handler) in your own server
//
// A verb is a func(*Request) that answers with Request.Reply or
// Request.Fail. The wire layer (Frame, Reply, EventMsg, AppendReply,
// ParseReply, ...) does no I/O and can be used alone.
//
// # Dialects
//
// Upstream changed over the years (spec "Versions"). Options.Dialect
// selects the generation the binder serves; the wire layer's AppendReply
// and AppendEvent take a Dialect too.
//
// DialectV6, the default, is afb-daemon of mid 2019, the reference peer.
// New sessions start with Options.Token; a verb with any session flag
// checks the request's token against the session's (an empty session
// token accepts anything) and fails with "denied" / "invalid token's
// identity", after which the session and its token survive; an LOA
// failure is "denied" / "invalid LOA". SessionRefresh issues a new token,
// returned in request.token and as the 4th element of a WebSocket reply;
// request.uuid and the cookie (Max-Age = Options.SessionTimeout) go only
// to the request that created the session. The token is read from the
// header x-afb-token, then the arguments x-afb-token and token. Every API
// reply is HTTP 200. The WebSocket upgrade needs a valid token (401); a
// call without a token of its own counts as validated, a call with one is
// checked for that call only.
//
// V1 and V6 accept unmasked client frames, as the daemon does (its 2019
// client library never masks); Options.StrictMasking refuses them as RFC
// 6455 requires. The session cookie of a session created by a WebSocket
// upgrade is sent only with the upgrade's 401, as the daemon does. Over
// HTTP, Request.Value reads the form fields and the query only: a JSON
// body is the args object and nothing else.
//
// DialectV1 (2016) is V6 but for: request members in the order status,
// info, reqid, token, uuid; the verb ends at the next '/' of the path; the
// framework statuses "failed" (token check, info "invalid token's
// identity", and LOA, info "invalid LOA") and "fail" / "api not found"
// for an unknown api; a failed token check destroys the session at the
// end of the request, and so does SessionClose (logout): the next request
// naming that uuid gets a fresh session with the initial token (a
// WebSocket connection keeps the orphaned session it holds); the cookie's
// Max-Age is always 3600. The Options defaults stay V6's: V1-2016's
// --session-max 10 and 3600 s session timeout are not applied.
//
// DialectAGLFinal (after November 2019) has no initial token (Options.Token
// is ignored): tokens are opaque, and a token is valid when
// Options.TokenValidator says so; with no validator every token is valid,
// none included, as upstream without Cynara, so auth/connect, check and
// logout work whatever token is sent and SessionRefresh changes nothing
// (there is no token to hand out). The token is read from
// "Authorization: Bearer <token>", then the argument access_token, then
// the three V6 places. A failed token check is "invalid-token" / "invalid
// token", answered over HTTP with 401 and WWW-Authenticate:
// error="invalid_token"; an LOA failure is "insufficient-scope" / "invalid
// LOA", 403 with WWW-Authenticate: error="insufficient_scope"; every
// other reply is 200. The session cookie is set on every HTTP reply and
// on every answer to an upgrade request. Replies carry neither token nor
// uuid (request members status, info, reqid), and WebSocket replies have
// 3 elements. Nothing is checked at the WebSocket upgrade: the token of
// the upgrade request becomes the connection's token, a call's 5th
// element replaces it for that call and the later ones, and every call of
// a verb with session flags is checked against it. A verb that returns
// without replying is answered "not-replied".
//
// DialectLibafb (redpesk libafb v4/v5) follows AGL-final's token and
// session rules, and differs in: the reply shape (jtype first, request
// with status, info and an integer code but no reqid, response last; the framework errors carry
// afb-errno.h's codes, e.g. -3 unknown-api, -4 unknown-verb, -7
// invalid-token, -9 insufficient-scope, other statuses the Code their
// Reply holds) and the event shape (jtype first); the HTTP status of an
// API reply, chosen by its status string: 500 internal-error and
// out-of-memory, 404 unknown-api and unknown-verb, 501 not-available,
// 401 and 403 as AGL-final; and "; SameSite=Lax;" after the cookie's
// HttpOnly. That libafb sets the cookie on every reply, like AGL-final,
// is inferred from its lineage; the spec does not say.
//
// # Deliberate differences from upstream
//
// The server never emits invalid JSON: where V6-2019 echoes a textual
// call ID that is not a valid JSON string body (for instance one with a
// newline before it), this server closes the connection with 1008 as for
// any other malformed frame (see Frame.Validate).
//
// An invalid JSON body is answered 400 (V6-2019 hangs); a body or
// WebSocket message larger than Options.MaxMessageSize is answered 413 or
// closed with 1009.
//
// HTTP replies do not carry "Connection: close": keep-alive stays on.
//
// A session uuid with characters a cookie value cannot carry is refused
// with 500, like a uuid of 37 bytes or more.
//
// After a failed token check, V6-2019 marks the session closing, but its
// LOA reset is refused because the request was not validated; this
// server keeps the LOA (as the observed sequence of spec §3.5 requires)
// and drops only the called api's session data.
//
// Deleting a subscribed event (Event.Close, hello/eventdel) is safe here;
// it crashed V6-2019.
//
// A verb that returns without replying is answered at once (see
// Request.Async to reply later); a verb that does not answer within
// Options.APITimeout is answered "aborted" with info "timeout".
//
// A WebSocket peer that does not read its replies and events is
// disconnected with 1008 once Options.SendQueue messages are waiting.
package afbproto
