// Package h1 carries whole HTTP/1.1 messages (message/http), for
// compatibility with UstadMobile's httpoveripc Android service.
//
// Start here: RoundTripper is an http.RoundTripper over an
// httpipc.MessageConn and ServeMessages serves an http.Handler on one; the
// codec under them is DecodeRequest/AppendRequest and their Response twins.
//
// # Format
//
// One message is exactly one HTTP/1.1 request or response (RFC 9112) as
// UstadMobile's RawHTTP library writes it: start line, field lines, empty
// line, and a body framed by Content-Length or chunked transfer coding. On
// Android the request bytes travel in a Messenger Message with what =
// WhatRequest (42) under Bundle key KeyRequest ("request"), and the reply
// with what = WhatResponse (64003) under KeyResponse ("response"); replies
// are paired with requests by order alone. The Android glue that bridges a
// Messenger to a MessageConn uses these constants.
//
// Decoded messages use the bhttp message model (bhttp.Request,
// bhttp.Response): ordered fields with lowercase names, control data in
// place of the request-target and Host. The net/http mapping is bhttp's too.
//
// # What decoders reject
//
// Every rejection is an *Error wrapping one sentinel:
//
//   - line ends other than CRLF (ErrBareLF, ErrBareCR), NUL anywhere in a
//     head (ErrNUL), obs-fold (ErrObsFold), whitespace before a colon or a
//     non-token name (ErrFieldName), control characters in values
//     (ErrFieldValue);
//   - start lines without exactly single spaces (ErrStartLine), versions
//     other than HTTP/1.1 (ErrVersion), non-token methods (ErrMethod),
//     request-targets that are not origin-, absolute- (http/https),
//     authority- (CONNECT) or asterisk-form (OPTIONS), or that hold bytes
//     outside visible ASCII, '#' or a bad %-escape (ErrTarget); a missing,
//     repeated or invalid Host, or one that disagrees with an absolute-form
//     target (ErrHost); status codes outside 100..599 and 101 (ErrStatus);
//   - Transfer-Encoding with Content-Length (ErrTEAndCL); Transfer-Encoding
//     other than one "chunked" (ErrTransferEncoding); a Content-Length that
//     is not digits, is repeated (even with the same value) or is a list
//     (ErrContentLength); chunk sizes that are not hex or overflow
//     (ErrChunkSize); chunk extensions (ErrChunkExtension); chunk data not
//     followed by CRLF (ErrChunkData); framing or routing fields in
//     trailers (ErrTrailerField);
//   - messages that end early (ErrTruncated) and any byte after the end of
//     the message (ErrTrailingData), including a body on a response to
//     HEAD, a 204 or a 304;
//   - anything over Limits (ErrHeaderTooLarge, ErrTooManyFields,
//     ErrFieldTooLong, ErrBodyTooLarge, ErrTooManyInformational; all match
//     ErrLimit), checked before allocating.
//
// Connection-specific fields (Connection and the fields it names,
// Keep-Alive, Proxy-Connection, Upgrade, TE other than "trailers") are
// stripped rather than rejected: real clients behind a localhost proxy send
// them. Encoders refuse them (ErrFramingField), and refuse everything the
// decoders reject.
//
// # Caveats
//
//   - HTTP/1.1 does not carry the scheme: origin-form requests decode with
//     Scheme "http", and encoders write origin-form for http and https.
//   - A response's framing depends on the request method: pass it to
//     DecodeResponse. A response with neither Content-Length nor chunked
//     coding runs to the end of the message.
//   - Reason phrases are checked and dropped; encoders write
//     http.StatusText.
//   - Prefer Binary HTTP (package bhttp) or the envelope codec for new
//     peers: this format needs a hardened HTTP/1.1 parser on every platform.
//   - Bodies are buffered whole, and one message must fit in the
//     MessageConn (Binder shares 1 MB per process); large bodies need the
//     httpipc frame layer.
package h1
