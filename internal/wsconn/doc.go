// Package wsconn is the WebSocket plumbing shared by the appwire protocol
// packages, their clients and the conformance cases. It is protocol-neutral:
// it knows RFC 6455 frames, handshakes and close codes, nothing about the
// messages carried.
//
// Start here: [Dial] opens a client connection, [Upgrade] turns an accepted
// HTTP request into a server connection, and [Conn.ReadMessage],
// [Conn.WriteText] and [Conn.Close] do the rest.
//
// Frames are read and written with github.com/gobwas/ws. Every blocking call
// takes a context; a message larger than the configured limit is refused
// before it is buffered ([ErrMessageTooBig]); no call starts a goroutine that
// can outlive it.
//
// Caveats: no extensions (permessage-deflate is never negotiated), and text
// messages are checked for valid UTF-8 only once complete.
package wsconn
