// Package httpipc carries HTTP between two local apps over IPC: a unix
// socket, a pipe, a child process's stdin/stdout, or a message channel such
// as an Android Binder or iOS XPC connection (see MessageConn).
//
// Start here:
//   - Server: Serve(ctx, listener, handler), or Server.ServeConn /
//     Server.ServeMessageConn for one connection.
//   - Client: &http.Client{Transport: UnixTransport(path)}, or a Transport
//     with DialStream or DialMessage. NewMemPipe connects the two in memory.
//
// Each request is a stream; many run at once on one connection, each with
// its own id (never matched by position), bounded by max_concurrent_streams
// and by credit-based flow control. Requests and responses are Binary HTTP
// (RFC 9292, package bhttp) in indeterminate-length form, streamed in DATA
// frames: the response is returned as soon as its head is decoded and its
// body streams behind.
//
// # Frame format (protocol version 1)
//
// All integers marked (i) are QUIC variable-length integers (RFC 9000 §16):
// the two high bits of the first byte give the length (00: 1 byte, 01: 2,
// 10: 4, 11: 8), the rest is the value, big-endian. Receivers accept
// non-minimal encodings; senders use the minimal one.
//
//	Frame {
//	  Type (i),
//	  Stream ID (i),     // 0: the connection
//	  Flags (8),
//	  Length (i),        // payload bytes, <= receiver's max_frame_size
//	  Payload (Length bytes),
//	}
//
// On a byte stream frames are concatenated. On a MessageConn each message
// is exactly one frame (a message holding less, or more, is a connection
// error) and max_frame_size is at most MaxMessageSize()-25. The receiver
// checks Length against its max_frame_size before reading or allocating the
// payload. Flags not defined for a type are sent as 0 and ignored.
//
//	0x0 HELLO   stream 0. Payload: Version (i) = 1, then Setting ... to the
//	            end, Setting { ID (i), Value (i) }; an ID appears at most
//	            once, unknown IDs are ignored. Settings (default when absent):
//	              0x1 max_frame_size          16384; at least 1024
//	              0x2 max_concurrent_streams  100 (streams the peer may open)
//	              0x3 max_header_bytes        65536
//	              0x4 initial_stream_credit   262144
//	              0x5 initial_conn_credit     1048576
//	            Each side sends HELLO as its first frame, then waits for the
//	            peer's before sending anything else. A first frame of another
//	            type, a second HELLO, another version or an invalid setting
//	            is a connection error PROTOCOL.
//	0x1 DATA    stream != 0. Payload: the next bytes of the sender's bhttp
//	            message on that stream. Flag 0x1 END_STREAM: the message is
//	            complete. An empty payload is allowed.
//	0x2 RESET   stream != 0. Payload: Error Code (i), Reason Length (i),
//	            Reason. Ends the stream in both directions.
//	0x3 GOAWAY  stream 0. Payload: Last Stream ID (i), Error Code (i),
//	            Reason Length (i), Reason. The sender opens no more streams
//	            and processes none above Last Stream ID (the peer may retry
//	            those elsewhere); it closes once the rest end. Code NO_ERROR
//	            is a graceful shutdown; other codes report a connection error
//	            just before closing.
//	0x4 PING    stream 0. Payload: 8 opaque bytes. Flag 0x1 ACK: a reply,
//	            which echoes the payload. Any frame received proves liveness.
//	0x5 CREDIT  any stream (0: the connection). Payload: Increment (i),
//	            1..2^62-1, added to the sender's receive window.
//	other       ignored (reserved for later versions).
//
// Error codes: 0x0 NO_ERROR, 0x1 PROTOCOL, 0x2 INTERNAL, 0x3 CANCEL,
// 0x4 REFUSED_STREAM (not processed; safe to retry), 0x5 FRAME_SIZE,
// 0x6 HEADER_LIMIT, 0x7 MESSAGE_TOO_LARGE, 0x8 TIMEOUT,
// 0x9 UNAUTHORIZED_PEER.
//
// Streams. The client opens streams with odd ids, each larger than the
// last (ids may be skipped), by sending the first DATA of a request.
// Version 1 has no server-initiated streams: any frame on an even id is a
// connection error PROTOCOL. A frame on an id that was never opened (other
// than the DATA opening a new stream) is PROTOCOL; frames on closed streams
// are ignored (they may have crossed a RESET). A stream closes when END_STREAM
// went both ways, or on RESET. A server refuses a stream beyond its
// max_concurrent_streams, or after its GOAWAY, with RESET(REFUSED_STREAM).
// A server that completed its response before the request ended sends
// RESET(NO_ERROR) after it; the client then stops sending and keeps the
// response.
//
// Flow control. Every DATA payload byte uses credit of its stream and of the
// connection; the initial windows come from the receiver's HELLO and grow
// with each CREDIT. A sender never exceeds either; DATA beyond them, DATA
// after END_STREAM, or a window above 2^62-1 is a connection error
// PROTOCOL. Receivers return credit as the application consumes data, and
// return it at once for bytes of closed or reset streams.
//
// Connection errors (malformed frames, the rules above) send GOAWAY with
// their code and close the connection; every open stream fails with an
// error matching ErrPeerGone. Stream errors send RESET and leave the rest
// of the connection alone.
//
// # Mapping to net/http
//
// A request's authority is Request.Host, else URL.Host, else DefaultHost
// ("ipc.localhost"); the server reports it as Request.Host. RemoteAddr is
// the socket's peer address, or "ipc" when there is none. Connection-specific
// header fields are not carried. Trailers work as in net/http: declared with
// "Trailer" or set with http.TrailerPrefix; the client fills
// Response.Trailer at EOF. WriteHeader(1xx) sends an informational response
// that the client reports through httptrace.ClientTrace.Got1xxResponse.
// A handler panic becomes a bare 500 (or RESET(INTERNAL) once the head is
// out); the panic is logged locally as one line (Server.PanicStacks adds the
// stack), never sent. Transport failures come back from RoundTrip as
// errors, never as HTTP responses.
//
// # Shutting down
//
// Server.Shutdown drains: it stops accepting, sends GOAWAY, lets the open
// streams finish within its ctx and then closes. With Server.DrainTimeout
// set, the end of Serve's ctx does the same (wire it to SIGTERM with
// signal.NotifyContext), and Serve returns once the drain is done.
// ServeIdle exits a server app its idle period after the last request.
//
// # Caveats
//
//   - Both Proto fields say HTTP/1.1; the reason phrase is http.StatusText.
//   - No Hijack, no CONNECT tunnelling, no upgrades, no server push.
//   - Deadlines come from contexts only (ResponseController deadlines are
//     not supported); liveness from PING (Options.ReadIdleTimeout).
//   - A Transport uses one connection; requests beyond the server's
//     max_concurrent_streams wait (or fail with ErrTooManyStreams, FailFast).
//   - Where a plain byte stream suffices and no Binder/XPC peer is involved,
//     net/http over a unix socket is a fine alternative (see the httpipc spec
//     §3.2); this package exists for message channels and for one
//     implementable frame layer across Go, Kotlin and Swift.
package httpipc
