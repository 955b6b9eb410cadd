// Package simplepush implements Mozilla's SimplePush protocol: the
// WebSocket messages between a user agent and a push server, the HTTP
// endpoint app servers PUT versions to, and a reference server. The
// protocol reference it follows is docs/protocols/simplepush.md of the
// appwire repository.
//
// # Start here
//
//	s, _ := simplepush.NewServer(simplepush.Options{}) // in-memory store, pushgo dialect
//	s.Serve(ctx, listener)                             // or mount s (an http.Handler)
//
// User agents connect a WebSocket to any path but /update/; app servers
// PUT "version=N[&data=...]" to the pushEndpoint URL a register reply
// carries. The wire layer does no I/O and can be used alone:
// ParseClientMessage and ParseServerMessage read one WebSocket text
// message, ClientMessage.Append and ServerMessage.Append write one,
// ParseNotify and Notify.Append do the PUT body. Errors carry pushgo's
// codes (Code, *Error and the Err* sentinels; CodeOf).
//
// # State and scale
//
// Store holds users (route and wake-up data) and channels (latest version,
// registered/live/deleted, TTLs); MemoryStore is the embedded one,
// redisstore.Store (package simplepush/redisstore, so importing this
// package links no Redis client) the durable one shared by several nodes,
// and storetest checks any other. Several Servers share a
// Store and a Bus (Options.Node names each): a PUT on any node reaches the
// socket through the node the router names, and a newer hello on one node
// closes the older socket on another. MemoryBus does this inside one
// process, redisstore.Bus across processes over Redis pub/sub; a PUT answers 200
// only when the node holding the socket wrote the update, else the update
// stays stored and the answer is 202.
//
// # Clients
//
// Dial connects a user agent: it says hello with its uaid and channel IDs,
// registers channels (Client.Register returns the endpoint), hands
// notifications over on a bounded channel, acks them (automatically unless
// ClientOptions.ManualAck), pings at the spec's pace and reconnects with
// backoff under the same uaid; when the server assigns a new uaid it
// registers every channel again and reports the new endpoints (OnReset).
// NotifyEndpoint is the app server's side: one PUT to an endpoint.
//
// # Idle sockets
//
// An idle socket costs no goroutine and no buffer. On Linux it waits in
// an epoll set (EPOLLONESHOT) that itself waits in the Go runtime's
// netpoller; readiness starts a goroutine that reads every buffered
// message with pooled buffers (a ready socket is read without setting a
// deadline; only a read that would block sets one) and re-arms. Server.Stats
// reports open, helloed and currently-read sockets. Elsewhere, and for
// connections without a file descriptor (e.g. TLS terminated in-process),
// a goroutine per socket waits instead. Terminate TLS in front of the
// server, as both upstream servers do.
//
// # Dialects and deliberate choices
//
// Options.Dialect selects pushgo (default) or autopush behaviour where
// they disagree (see Dialect). Beyond either upstream, following the
// spec's recommendations:
//
//   - a uaid is generated as 32 lower-case hex digits; 32-hex (any case)
//     and dashed forms are accepted and normalised;
//   - ack semantics are autopush's: an ack clears a pending update only
//     if its version is at least the stored one; only the newest version
//     per channel is stored; under DialectAutopush an older PUT is
//     neither stored nor sent (200 or 202 still), under DialectPushgo it
//     is not stored but still forwarded to a connected socket, as pushgo
//     forwards every PUT (its client waits for each version it PUT);
//   - a PUT to an unknown or unregistered channel is 410 (pushgo
//     re-creates the record); bad tokens are 404, and tokens are
//     AES-256-GCM sealed (never uaid.chid in clear);
//   - unacked updates are resent every 60 s on a live socket (S2 asks,
//     neither upstream did) and on hello; after an ack only versions newer
//     than the ones the socket was sent go out, where both upstreams
//     re-send everything still pending after every ack (a busy user agent
//     then gets each update many times); Options.ResendPendingOnAck
//     restores the upstream behaviour;
//   - data is delivered on direct delivery only; flushed and resent
//     updates carry "data":"" (neither upstream stores data);
//   - "expired" is never sent: pushgo lists the UA's own unregistrations
//     there, which the UA already knows;
//   - the endpoint reads form bodies and the query string, not multipart
//     bodies (pushgo accepts those too).
//
// # Wake-up
//
// A user agent may say in hello how to wake it when it has no socket
// (pushgo "connect", early drafts' "interface"/"wakeup"); the server
// stores it and calls Options.Wakeup for a stored update when the user
// agent is connected nowhere. UDPWakeup sends the early drafts' datagram.
//
// # Caveats
//
// Channel registrations expire like pushgo's memcache records (3 h when
// never updated, 3 days when live) unless the user agent connects again;
// set StoreTTLs to keep them longer. Endpoint tokens need the same
// Options.TokenKey on every node and across restarts.
package simplepush
