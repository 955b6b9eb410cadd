// Package limpwire implements LIMP 6.0, the API protocol of the LIMP
// application framework: calls over one WebSocket, each signed as an
// HS256 JWT with the session's token, answered by JSON status messages.
// It has the wire layer, a client SDK (the Go counterpart of the Angular
// SDK ng-limp 6.0), a reference server with modules, sessions, uploads
// and watch tasks, and the query language over an in-memory Store (a
// MongoDB one is in limpwire/mongostore). The protocol reference is
// docs/protocols/limp.md of the appwire repository.
//
// # Start here
//
//	s := limpwire.NewServer(limpwire.Options{})      // memory store, session and user modules
//	s.Register(s.NewCollectionModule("item", "APP", perms))
//	http.Handle("/ws", s)                             // or serve s on its own listener
//
//	c, _ := limpwire.Dial(ctx, "ws://host:8081/ws", limpwire.ClientOptions{App: "my-app"})
//	c.Auth(ctx, "email", "me@example.com", "password")
//	r, err := c.Call(ctx, "item/read", []any{map[string]any{"n": map[string]any{"$gte": 2}}}, nil)
//
// The wire layer does no I/O: Call.AppendPayload writes the claims in the
// SDK's order with JSON.stringify's formatting, Key signs and verifies
// tokens (HS256 only), ParseFrame, ParseCall, ParseReply and AppendReply
// read and write messages, AuthHash and ReauthHash compute the client
// hashes. Replies that are not 200 are *Error values matching the
// sentinels (ErrInvalidCreds, ErrInvalidToken, ...) with errors.Is.
//
// # The server
//
// Server is an http.Handler for /ws (and /ws/{realm} with
// Options.Realms). It dispatches each message as docs/protocols/limp.md
// section 5 says, binds the session to the connection (the signing key
// changes when a result carries args.session), runs each method as a
// task of its own (at most Options.MaxTasks per connection), and keeps
// users and sessions in the Store (collections "user" and "session"), so
// two servers on one database serve the same users. Modules are Go
// values: Methods with Permissions, QueryArgs and DocArgs checked before
// Handle runs, or Watch for methods whose replies keep coming.
// NewCollectionModule gives the read, create, update, delete and watch
// methods of a collection. Shutdown stops reading, lets the calls in
// flight reply, and closes with 1001; Serve(ctx, ln) does it when ctx
// ends. Every limit (frame size, connections, calls and watch tasks per
// connection, upload bytes, quotas, idle time) is an Options field with
// a safe default.
//
// # The client
//
// Client verifies with the app id (treating a 5.x CORE_CONN_OK greeting
// as verified), keeps many calls in flight on one socket, waits for the
// auth, reauth and signout replies before signing with the new key,
// sends heart/beat every 30 s, uploads files in chunks exactly as ng-limp
// does (Upload, with progress), keeps watch calls open (Watch), reports
// its state on States, returns replies as channels when asked (Go), and
// with ClientOptions.Reconnect redials and restores the session by
// reauth. Raw []any queries work everywhere; Q builds them step by step.
//
// # Deliberate differences from LIMP 6.0
//
//   - A query that does not compile (an unknown operator such as $not,
//     which 6.0's documentation mentions but its code does not accept)
//     is answered 400 {PKG}_{MODULE}_INVALID_QUERY with the reason and the
//     call_id. 6.0 lets the exception escape the task and never answers.
//   - A call without sid is answered 400 CORE_REQ_INVALID_CALL ("Request
//     missing sid.") with the call_id; 6.0 answers a bare 500 without
//     call_id.
//   - A malformed upload chunk (chunk 2 before chunk 1, a bad content
//     string, a chunk out of order) is answered 400
//     CORE_FILE_INVALID_UPLOAD with the call_id; 6.0 answers a bare 500 or
//     assembles what it got. Chunks must arrive in order, and the file
//     bytes one connection holds are bounded (Options.MaxUploadBytes,
//     64 MiB): over it, 400 CORE_FILE_UPLOAD_LIMIT. 6.0 has no bound.
//   - An incomplete upload is dropped when the call arrives; 6.0 passes
//     the partial content on.
//   - A connection runs at most Options.MaxTasks calls at once (64),
//     and holds at most as many watch tasks (one more is answered 400
//     CORE_WATCH_LIMIT); 6.0 starts a task per message without bound.
//   - Watch tasks see the changes made through the same server process
//     (6.0 follows a MongoDB change stream); a task more than 256 changes
//     behind is ended with a 500 rather than silently skipping changes.
//   - The auth hash is compared in constant time against the user's
//     stored <attr>_hash; 6.0 puts both in a database query.
//   - Over HTTP the server answers only GET / (the welcome message); the
//     GET and POST routes /{module}/{method} of 6.0 are not served, so a
//     GetOnly method is reachable by no one (over the WebSocket it gets
//     CORE_REQ_GET_METHOD, as in 6.0).
//   - The Client sends an empty file as one empty chunk, so the server has
//     a file to put in the doc; ng-limp sends no chunk at all for it.
//
// The query language (query.go) differs from 6.0's data layer where 6.0
// passes input to MongoDB unchecked or depends on Python dict order:
//
//   - A multi-key operator object is checked operator by operator. 6.0
//     passes it to MongoDB as is: {$exists:true,$ne:1} worked there and is
//     a 400 here, and {$bet:…,$ne:…} silently lost its $ne there.
//   - $sort with several keys sorts them by name (a Go map has no key
//     order), and every sort ends with _id descending, so ties come out
//     the same from every store.
//   - $regex is RE2 (no lookarounds or backreferences) and always
//     case-insensitive; a pattern RE2 rejects is a 400.
//   - Only _id (and attributes ending in ._id) turn 24-hex strings into
//     ObjectIds: the store knows no module schema. Dotted attributes are
//     embedded paths, not joins on extended attributes.
//   - $group always covers the whole filter; 6.0 dropped the filter stage
//     whose first key was the grouped attribute, and answered groups: []
//     when nothing matched.
//   - Update and delete act on what the read would return (sort, skip and
//     limit included), as 6.0 reads then writes by id; attribute names
//     starting with $ or containing . are refused.
//   - The memory store's $search matches whole words, case-insensitively;
//     MongoDB's $text also stems and drops stop words. $geo_near is parsed
//     and refused by both stores.
//
// # Caveats
//
// The JSON of a payload matches JavaScript's JSON.stringify byte for byte
// except for the key order of nested objects, which a Go map does not
// keep (keys are written sorted); the claims themselves are in the SDK's
// order, so the signed conn/verify of the Angular SDK is reproduced
// exactly. The auth "hash" of LIMP 6.0 contains the password in base64:
// use TLS.
package limpwire
