// Package bhttp implements Binary HTTP messages, RFC 9292 (message/bhttp).
//
// Start here: DecodeRequest/DecodeResponse turn bytes into a Request or
// Response, and AppendRequest/AppendResponse turn them back into bytes.
// To handle a message as it arrives use NewRequestReader/NewResponseReader;
// to produce one as it is generated use NewWriter. FromHTTPRequest,
// Request.ToHTTP and their Response twins map to and from net/http.
//
// Both framings are supported (known-length and indeterminate-length), with
// informational (1xx) responses, trailers and padding. Field lines are an
// ordered list, so decoding and re-encoding an RFC 9292 figure gives the
// same bytes. Every decoder applies Limits, and every error is an *Error
// wrapping a named sentinel (errors.Is: ErrTruncated, ErrFieldValue, …;
// ErrLimit matches every limit).
//
// # Caveats
//
//   - A message is not self-delimiting (padding and truncation have no end
//     marker): decoders expect the input to end where the message ends. A
//     transport must frame messages (the httpipc frame layer does).
//   - Decoders accept truncation before any section or the content,
//     including the header section (0140c8 is a valid response), as RFC 9292
//     §3.1 allows; encoders never truncate. Non-minimal varints are
//     accepted; encoders write minimal ones.
//   - DecodeRequest/DecodeResponse return a Body that aliases the input;
//     strings never do.
//   - The wire codec applies RFC 9292 rules only (lowercase token names, no
//     NUL/CR/LF and no leading or trailing whitespace in values, pseudo-field
//     placement). net/http policy (Host, Content-Length, connection-specific
//     fields) lives in the mapping functions.
//   - A streamed message can turn out invalid after its head was handed
//     out; the error then comes from Read or Trailer (RFC 9292 §4).
//   - Status reason phrases do not exist in Binary HTTP; informational
//     responses have no net/http form and are dropped by Response.ToHTTP.
package bhttp
