// Package loopapi implements the Loop (Firefox Hello) REST API of
// mozilla-services/loop-server: the reference server, a client, the call
// websocket, rooms, and the wake-up of callees through SimplePush. The
// protocol is described in docs/protocols/loop.md of the appwire
// repository; its section numbers are the ones used here. Hawk
// authentication lives in the hawk subpackage.
//
// # Start here
//
//	srv, _ := loopapi.NewServer(loopapi.Options{})  // memory store, 0.17.8 behaviour
//	srv.Serve(ctx, listener)                        // or mount srv (an http.Handler)
//
//	c, _ := loopapi.NewClient("http://127.0.0.1:5000", loopapi.ClientOptions{})
//	c.Register(ctx, map[string]string{"calls": simplePushEndpoint}) // gets a Hawk session
//	link, _ := c.CreateCallURL(ctx, loopapi.CallURLRequest{CallerID: "alice"})
//
// A caller POSTs to the call URL's token (Client.Call); the server stores
// the call and PUTs version=<timestamp> to each of the callee's SimplePush
// "calls" endpoints (simplepush.NotifyEndpoint, in the background, with
// a timeout). The woken callee lists its calls since that version
// (Client.Calls), and both parties join the call websocket (DialCall),
// where the server moves the call through init, alerting, connecting,
// half-connected and connected, or terminates it with a reason.
// loopapitest starts a server on a free port for tests.
//
// # Layout
//
// The wire layer does no I/O: errors.go (the error body and the errno
// table; *Error and Errno match with errors.Is), message.go and room.go
// (every endpoint's JSON, request validation with upstream's messages),
// callstate.go (call states, the set-of-markers representation, the
// websocket messages). Then server*.go (the http.Handler), client*.go,
// and store*.go: Store with MemoryStore, and the redisstore subpackage
// (upstream's Redis keys, pub/sub for call progress, a shared Hawk nonce
// cache) so several server processes on one Redis serve the same users.
// storetest checks any Store.
//
// # Profiles
//
// Options.Profile selects loop-server 0.17.8 (default; the last version
// where the whole registration, call-url, calls flow works) or HEAD, where
// POST /call-url answers 405 errno 204.
//
// # Deliberate differences from upstream
//
//   - Hawk replays are refused: every (id, ts, nonce) is remembered for
//     twice the skew (loop-server kept none). With redisstore the cache
//     is shared, so a header replayed to another node fails too.
//   - A session's TTL (30 days) is refreshed by an authenticated request
//     only once it is a minute old (upstream refreshed on every request),
//     which saves a store round trip on most requests.
//   - Malformed JSON gets a JSON error body (400 errno 106) where
//     upstream sent an HTML page; a body over Options.MaxBodySize (64 KiB)
//     is 413 errno 113; a non-string push URL is 400, not a crash.
//   - POST /registration keeps only the "calls" and "rooms" push URLs
//     (every topic's URL is still validated); upstream stored any topic
//     name, so one session could grow its record without bound.
//   - A registered user's identity is sealed with AES-256-GCM under
//     SHA-256 of the session's Hawk id (upstream: NaCl secretbox under the
//     same id); as upstream, the store alone cannot tell whose it is.
//   - Only the callee may accept a call (upstream let either party).
//   - When a party's last websocket closes before the call is
//     connected, the call terminates with reason "closed"; not when the
//     server itself shuts down, since the party may rejoin through
//     another node. GET /calls?version=abc is 400 errno 107.
//   - Direct calls (POST /calls) to several callees share one call ID
//     and media session: the first callee to accept answers it, the
//     others' devices get "answered-elsewhere".
//   - Rooms: a participant who joins without Hawk gets its Basic
//     credential as "participantToken" in the join answer; GET
//     /rooms/{token} is for the owner and participants only; a context
//     larger than Options.MaxContextSize is 413 errno 113 (upstream moved
//     large contexts to file storage).
//   - GET / names this server ("appwire-loopapi", version 0.17.8, the
//     API level) and has no git rev/branch. The fxa-oauth routes, POST
//     /event, GET /api-specs and the 0.7.0 design are not served.
//   - Identity is pluggable: LocalVerifier (the default, accepting
//     "local:<identity>" assertions, for tests and demos only) or
//     RemoteVerifier (a BrowserID verifier service). Media sessions come
//     from a Provider; FakeProvider (the default) is upstream's fakeTokBox.
//
// # Caveats
//
// MemoryStore holds at most MemoryStoreOptions.MaxKeys records (a
// million by default; writes beyond answer 503) and loses everything on
// restart: use redisstore for anything real.
//
// Behind a proxy that rewrites Host or terminates TLS, set HawkHost and
// HawkPort to the public name clients sign for, and PublicURL for the
// progressURL they are given.
//
// Call timers run on the node that made the transition; if that node
// dies, the call record's own TTL (Options.CallDuration, 60 s) ends the
// call. Secrets (HawkIDSecret, UserMacSecret) must be set, and equal on
// every node, for sessions to survive restarts and to work across nodes.
package loopapi
