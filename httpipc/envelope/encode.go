package envelope

import (
	"unicode/utf8"

	"github.com/appwire/appwire/httpipc/bhttp"
	"github.com/vmihailenco/msgpack/v5"
)

// Version is the schema version this package writes and reads.
const Version = 1

// Number of elements in a version-1 request and response array, and in an
// informational response; decoders skip any further elements.
const (
	requestLen  = 8
	responseLen = 6
	infoLen     = 2
)

// AppendRequest appends the envelope of r to dst. r.Indeterminate and
// r.Padding have no envelope form and are ignored. It returns dst unchanged
// and an *Error if r is invalid: a Binary HTTP rule (the *Error wraps the
// *bhttp.Error), a pseudo-field or a connection-specific field.
func AppendRequest(dst []byte, r *bhttp.Request) ([]byte, error) {
	if err := checkRequest(r); err != nil {
		return dst, err
	}
	w := &appendWriter{b: dst}
	enc := msgpack.GetEncoder()
	defer msgpack.PutEncoder(enc)
	enc.Reset(w)
	// Writes to an appendWriter never fail, so neither do the encoder's.
	_ = enc.EncodeArrayLen(requestLen)
	_ = enc.EncodeUint(Version)
	encodeText(enc, w, r.Method)
	encodeText(enc, w, r.Scheme)
	encodeText(enc, w, r.Authority)
	encodeText(enc, w, r.Path)
	encodeFields(enc, w, r.Header)
	encodeBody(enc, w, r.Body)
	encodeFields(enc, w, r.Trailer)
	return w.b, nil
}

// AppendResponse appends the envelope of r to dst, with its informational
// responses. r.Indeterminate and r.Padding are ignored. Errors are as for
// AppendRequest.
func AppendResponse(dst []byte, r *bhttp.Response) ([]byte, error) {
	if err := checkResponse(r); err != nil {
		return dst, err
	}
	w := &appendWriter{b: dst}
	enc := msgpack.GetEncoder()
	defer msgpack.PutEncoder(enc)
	enc.Reset(w)
	_ = enc.EncodeArrayLen(responseLen)
	_ = enc.EncodeUint(Version)
	_ = enc.EncodeUint(uint64(r.Status))
	_ = enc.EncodeArrayLen(len(r.Informational))
	for _, in := range r.Informational {
		_ = enc.EncodeArrayLen(infoLen)
		_ = enc.EncodeUint(uint64(in.Status))
		encodeFields(enc, w, in.Header)
	}
	encodeFields(enc, w, r.Header)
	encodeBody(enc, w, r.Body)
	encodeFields(enc, w, r.Trailer)
	return w.b, nil
}

// encodeText writes s as a msgpack str when it is valid UTF-8 and as a bin
// otherwise (field values may hold obs-text bytes, which a str-decoding
// peer would mangle).
//
// The encoder writes straight to w (an appendWriter is never wrapped), so
// raw bytes are appended to w.b between encoder calls.
func encodeText(enc *msgpack.Encoder, w *appendWriter, s string) {
	if utf8.ValidString(s) {
		_ = enc.EncodeString(s)
		return
	}
	_ = enc.EncodeBytesLen(len(s))
	w.b = append(w.b, s...)
}

func encodeBody(enc *msgpack.Encoder, w *appendWriter, b []byte) {
	// EncodeBytes(nil) would write nil; the schema wants an empty bin.
	_ = enc.EncodeBytesLen(len(b))
	w.b = append(w.b, b...)
}

func encodeFields(enc *msgpack.Encoder, w *appendWriter, fs bhttp.Fields) {
	_ = enc.EncodeArrayLen(len(fs))
	for _, f := range fs {
		_ = enc.EncodeArrayLen(2)
		encodeText(enc, w, f.Name)
		encodeText(enc, w, f.Value)
	}
}

// appendWriter is the io.Writer (and io.ByteWriter, so msgpack does not
// wrap it) behind the append-style API.
type appendWriter struct{ b []byte }

func (w *appendWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

func (w *appendWriter) WriteByte(c byte) error {
	w.b = append(w.b, c)
	return nil
}
