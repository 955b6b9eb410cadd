// Package mobile is a gomobile-friendly face of httpipc for Android bound
// services and iOS XPC services, whose platform code (Kotlin, Java,
// Swift) moves the messages while Go runs the frame layer, the HTTP
// handler and the client.
//
// Start here: the server app's Go code calls [NewServer] with its
// http.Handler and a [Sender] the platform implements; the platform
// passes every IPC message it receives to [Server.Receive]. The client
// app does the same with [NewClient] and [Client.Receive], then calls
// [Client.Do]. Each Send of one side is one Receive on the other.
//
// Only types gomobile can bind cross the boundary: []byte, string,
// numbers, bool, error, and interfaces and structs of those. NewServer
// takes an http.Handler, so gomobile skips it: export a constructor of
// your own, in your bound package, that calls it with your handler.
//
// # Caveats
//
//   - One Server or Client is one connection: a Binder binding or an XPC
//     connection. Make one per bound client.
//   - Keep MaxMessageSize well below Binder's 1 MB transaction buffer,
//     which the whole process shares; 64 KiB is the default.
//   - Receive copies the message and may block while the connection's
//     queue is full (credit-based flow control keeps that short).
//   - Client.Do buffers the whole response body, up to
//     SetMaxResponseBytes; stream with httpipc.Transport from Go instead.
package mobile
