// Package simplepush implements Mozilla's SimplePush protocol: the
// WebSocket messages between a user agent and a push server, the HTTP
// endpoint app servers PUT versions to, and a reference server. The
// specification followed is specs/simplepush.md of the appwire
// repository.
//
// # Start here
//
// The wire layer does no I/O: ParseClientMessage and ParseServerMessage
// read one WebSocket text message, ClientMessage.Append and
// ServerMessage.Append write one. Errors carry pushgo's codes (Code,
// *Error and the Err* sentinels).
package simplepush
