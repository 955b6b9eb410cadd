// Package envelope is a msgpack encoding of whole HTTP messages for httpipc
// peers that already ship a msgpack library and not a Binary HTTP one.
//
// Start here: AppendHTTPRequest/DecodeHTTPRequest and AppendHTTPResponse/
// DecodeHTTPResponse carry net/http values; AppendRequest/DecodeRequest and
// their Response twins carry bhttp.Request/bhttp.Response, whose field order is exact.
//
// The message model, the validation rules and the net/http mapping are
// Binary HTTP's (package bhttp): only the bytes differ. A message decoded
// from either codec re-encodes in the other.
//
// # Schema, version 1
//
// One message is exactly one msgpack array (no map, no nil anywhere, no
// bytes after it). "text" is a msgpack str, or a bin when the bytes are not
// valid UTF-8 (field values may carry obs-text); decoders accept either.
// "uint" is any msgpack integer type holding a non-negative value; encoders
// write the shortest form.
//
//	Request  = [ version: uint = 1,
//	             method: text, scheme: text, authority: text, path: text,
//	             headers: Fields, body: bin, trailers: Fields,
//	             extension ... ]
//	Response = [ version: uint = 1,
//	             status: uint (200..599),
//	             informational: [ Info ... ],
//	             headers: Fields, body: bin, trailers: Fields,
//	             extension ... ]
//	Info     = [ status: uint (100..199), headers: Fields, extension ... ]
//	Fields   = [ [name: text, value: text] ... ]
//
// For example, GET https://example.com/ with one header and no body is
// (msgpack diagnostic notation, 42 bytes):
//
//	[1, "GET", "https", "example.com", "/", [["accept", "*/*"]], h'', []]
//
// Rules, all enforced by decoders and refused by encoders:
//
//   - Control data follows RFC 9113 §8.3.1 as RFC 9292 uses it: method is a
//     token; scheme a URI scheme (empty only for CONNECT); authority may be
//     empty (then a "host" field may carry it); path starts with "/" or is
//     "*" for http/https. The query is part of path.
//   - Fields keep their order and duplicates. Names are lowercase RFC 9110
//     tokens; values hold no NUL, CR or LF and no leading or trailing SP or
//     HTAB (RFC 9113 §8.2.1). Pseudo-fields (names starting with ':') are
//     invalid: control data has its own elements. Connection-specific
//     fields (connection, keep-alive, proxy-connection, transfer-encoding,
//     upgrade, te other than "trailers") are invalid; the net/http mapping
//     strips them before encoding.
//   - The body is a bin, possibly empty: length framing is msgpack's.
//   - Forward compatibility: the version changes only for changes an old
//     decoder must not ignore; it then rejects the message (ErrVersion).
//     Optional additions are appended as extension elements at the end of
//     Request, Response or Info, which a version-1 decoder checks for
//     well-formedness (within the input, nested at most MaxExtensionDepth
//     deep) and skips. An encoder of this package never writes any.
//   - Field pairs have exactly two elements.
//
// # Errors and limits
//
// Every error is an *Error. Its Err is an envelope sentinel (ErrType,
// ErrSchema, ErrVersion, ErrTruncated, ErrTrailingData, ErrNesting,
// ErrPseudoField, ErrConnectionField, or a limit: ErrFieldSectionTooLarge,
// ErrTooManyFields, ErrFieldTooLong, ErrBodyTooLarge, ErrTooManyInformational,
// all matching ErrLimit), or a *bhttp.Error for the shared field and
// control-data rules, so errors.Is(err, bhttp.ErrFieldValue) works. Limits
// default to the httpipc spec §3.5 values, and every msgpack length is
// checked against them and against the bytes left before anything is
// allocated.
//
// # Caveats
//
//   - The envelope is not self-delimiting: decoders take a whole message,
//     such as one MessageConn message.
//   - msgpack/v5's own Decoder is used only to read element headers; see
//     reader.go for why its Unmarshal, DecodeBytes and Skip must not see
//     hostile input.
//   - Status reason phrases do not exist, as in Binary HTTP; net/http
//     responses get http.StatusText.
//   - DecodeXxx return a Body that aliases the input.
package envelope
