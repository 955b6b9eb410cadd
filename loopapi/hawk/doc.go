// Package hawk implements Hawk HTTP authentication (header scheme version
// 1) as the Loop server and Firefox use it: request MACs over the
// normalized string, optional payload hashes, Server-Authorization on
// responses, the stale-timestamp challenge, a nonce replay cache, and
// Loop's session tokens (Hawk-Session-Token) with their HKDF derivation.
// Only the standard library's crypto is used.
//
// # Start here
//
// A client signs a request with credentials, and checks the answer:
//
//	creds, _ := hawk.DeriveSessionCredentials(sessionToken)
//	art, _ := hawk.Sign(req, creds, hawk.RequestOptions{})
//	resp, _ := http.DefaultClient.Do(req)
//	err := hawk.VerifyResponse(creds, art, resp.Header.Get("Server-Authorization"), hawk.ResponseCheck{})
//
// A server verifies requests with a credentials lookup and signs answers:
//
//	s := hawk.NewServer(lookup, hawk.Options{})
//	auth, err := s.Authenticate(ctx, r)
//	if e := (*hawk.Error)(nil); errors.As(err, &e) {
//		// e.Status, e.WWWAuthenticate(), e.Payload() are what upstream sends
//	}
//	w.Header().Set("Server-Authorization", auth.ResponseHeader(hawk.ResponseOptions{
//		HashPayload: true, ContentType: ct, Payload: body}))
//
// The wire layer does no I/O: ParseHeader and Header.String read and write
// an Authorization value, ParseServerAuthorization a response's,
// NormalizedString, RequestMAC, ResponseMAC, PayloadHash and TimestampMAC
// compute what the headers carry.
//
// # Errors
//
// Hawk failures are *Error values, matched with errors.Is against the Err*
// sentinels. Each carries the status and message the hawk npm library
// gives (400 for a malformed header, 401 for a failed authentication),
// the WWW-Authenticate challenge (WWWAuthenticate) and the Boom payload
// object (Payload, MarshalJSON) that loop-server puts in the "error"
// member of its error body:
//
//	{"statusCode":401,"error":"Unauthorized","message":"Bad mac","attributes":{"error":"Bad mac"}}
//
// A missing Authorization header (or another scheme) is
// ErrMissingAuthorization: 401, "WWW-Authenticate: Hawk", no message. A
// stale timestamp answers with the server's time and its MAC
// (`Hawk ts="…", tsm="…", error="Stale timestamp"`) so a client can
// correct its clock (ParseStaleChallenge, RequestOptions.Offset).
//
// # Order of checks
//
// As the library: header size and syntax, required attributes (id, ts,
// nonce, mac), credentials lookup (ErrUnknownCredentials), MAC in
// constant time, payload hash when asked for, timestamp within ±Skew
// (60 s), and then the nonce.
//
// # Deliberate differences from upstream
//
//   - Replays are refused by default: Options.Nonces (a bounded
//     MemoryNonceCache unless given, an interface so a shared store can
//     back it) records each (id, ts, nonce) of an authentic, current
//     request for twice the skew. loop-server gave the library no nonce
//     function and accepted replays; Options.NoReplayCheck restores that.
//     The nonce is checked after the timestamp (the library checks it
//     before), so that only current requests fill the cache.
//   - A ts that is not 1 to 15 decimal digits is stale; the library's
//     JavaScript coercion makes "abc" never stale.
//   - Header whitespace is ASCII only (JavaScript's \s also matches
//     Unicode spaces).
//   - A Host header is split by hand (IPv6 brackets dropped), where hawk
//     2.x used a regular expression and hawk 9 the WHATWG URL parser.
//   - Bewits and Oz are not implemented (Loop uses neither); app and dlg
//     are parsed and covered by the MAC.
package hawk
