// Package afbproto implements the AGL binder (afb-daemon) protocol: the
// afb-reply and afb-event JSON objects, the x-afb-ws-json1 WebSocket
// frames, HTTP and WebSocket clients, and a reference binder server with
// a Go API for bindings. The specification followed is
// specs/afb.md of the appwire repository.
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
// Upstream changed over the years (spec "Versions"). The default,
// DialectV6, is afb-daemon of mid 2019, the reference peer. Options.Dialect
// changes the JSON shape of replies and events (member order, whether the
// token and uuid are sent back, libafb's "code") and the status of a verb
// that did not reply; the V1 dialect also ends the verb at the next '/'.
// Everything else, in particular the session and token rules, follows
// V6-2019 in every dialect: the V1 session destruction on a bad token, the
// AGL-final per-connection token replacement and the 401/403 statuses of
// AGL-final and libafb are not implemented.
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
