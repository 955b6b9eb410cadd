package bhttp

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// fuzzLimits are small enough that the fuzzer reaches every limit, and
// equal for the in-memory and streaming decoders so they must agree.
var fuzzLimits = Limits{MaxFieldSectionSize: 512, MaxFields: 16, MaxFieldLength: 64,
	MaxBodySize: 1024, MaxStreamBodySize: 1024, MaxInformational: 3, MaxPadding: 64}

func seedFuzz(f *testing.F) {
	bins, _ := filepath.Glob(filepath.Join("testdata", "rfc9292", "*.bin"))
	for _, p := range bins {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{0x01, 0x40, 0xc8})
	f.Add(cat("x:0340c8", field("a", "1"), "x:00", "s:ab", "s:cd", "x:00", field("t", "2"), "x:000000"))
}

// sentinelOf returns the sentinel an *Error wraps.
func sentinelOf(err error) error {
	var e *Error
	if errors.As(err, &e) {
		return e.Err
	}
	return err
}

// FuzzDecodeRequest: whatever decodes must re-encode, decode again to the
// same value (dnsmessage's unpack → pack → unpack), re-encode to the same
// bytes, and be accepted, equally, by the streaming reader; whatever is
// rejected must be rejected by the streaming reader with the same sentinel.
func FuzzDecodeRequest(f *testing.F) {
	seedFuzz(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := DecodeRequest(data, fuzzLimits)
		sr, serr := streamRequest(data, fuzzLimits)
		if sentinelOf(err) != sentinelOf(serr) {
			t.Fatalf("DecodeRequest: %v; stream: %v", err, serr)
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Offset < 0 || e.Offset > int64(len(data)) {
				t.Fatalf("error %v is not an *Error with an offset inside the input", err)
			}
			return
		}
		if !reflect.DeepEqual(r, sr) {
			t.Fatalf("DecodeRequest %+v\nstream %+v", r, sr)
		}
		enc, err := AppendRequest(nil, r)
		if err != nil {
			t.Fatalf("decoded message does not encode: %v", err)
		}
		r2, err := DecodeRequest(enc, fuzzLimits)
		if err != nil {
			t.Fatalf("re-encoded message does not decode: %v\n%x", err, enc)
		}
		if !reflect.DeepEqual(r, r2) {
			t.Fatalf("round trip changed the message:\n%+v\n%+v", r, r2)
		}
		if enc2, _ := AppendRequest(nil, r2); !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding is not stable: %x vs %x", enc, enc2)
		}
	})
}

// FuzzDecodeResponse is FuzzDecodeRequest for responses.
func FuzzDecodeResponse(f *testing.F) {
	seedFuzz(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := DecodeResponse(data, fuzzLimits)
		sr, serr := streamResponse(data, fuzzLimits)
		if sentinelOf(err) != sentinelOf(serr) {
			t.Fatalf("DecodeResponse: %v; stream: %v", err, serr)
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Offset < 0 || e.Offset > int64(len(data)) {
				t.Fatalf("error %v is not an *Error with an offset inside the input", err)
			}
			return
		}
		if !reflect.DeepEqual(r, sr) {
			t.Fatalf("DecodeResponse %+v\nstream %+v", r, sr)
		}
		if len(r.Informational) > fuzzLimits.MaxInformational {
			t.Fatalf("%d informational responses", len(r.Informational))
		}
		enc, err := AppendResponse(nil, r)
		if err != nil {
			t.Fatalf("decoded message does not encode: %v", err)
		}
		r2, err := DecodeResponse(enc, fuzzLimits)
		if err != nil {
			t.Fatalf("re-encoded message does not decode: %v\n%x", err, enc)
		}
		if !reflect.DeepEqual(r, r2) {
			t.Fatalf("round trip changed the message:\n%+v\n%+v", r, r2)
		}
		if enc2, _ := AppendResponse(nil, r2); !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding is not stable: %x vs %x", enc, enc2)
		}
	})
}
