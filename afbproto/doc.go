// Package afbproto implements the AGL binder (afb-daemon) protocol: the
// afb-reply and afb-event JSON objects, the x-afb-ws-json1 WebSocket
// frames, and a reference binder server with a Go API for bindings.
package afbproto
