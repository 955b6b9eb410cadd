package bhttp

import (
	"bytes"
	"reflect"
	"testing"

	"pgregory.net/rapid"
)

func genToken(lower bool) *rapid.Generator[string] {
	chars := "abcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-.^_`|~"
	if !lower {
		chars += "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	}
	return rapid.Custom(func(t *rapid.T) string {
		n := rapid.IntRange(1, 12).Draw(t, "n")
		b := make([]byte, n)
		for i := range b {
			b[i] = chars[rapid.IntRange(0, len(chars)-1).Draw(t, "c")]
		}
		return string(b)
	})
}

// genValue draws a valid field value: any bytes but NUL, CR, LF, without
// leading or trailing SP/HTAB.
var genValue = rapid.Custom(func(t *rapid.T) string {
	b := rapid.SliceOfN(rapid.Byte(), 0, 40).Draw(t, "v")
	for i, c := range b {
		if c == 0 || c == '\r' || c == '\n' {
			b[i] = 'x'
		}
	}
	if len(b) > 0 && isWS(b[0]) {
		b[0] = 'y'
	}
	if len(b) > 0 && isWS(b[len(b)-1]) {
		b[len(b)-1] = 'z'
	}
	return string(b)
})

func genFields(kind sectionKind) *rapid.Generator[Fields] {
	return rapid.Custom(func(t *rapid.T) Fields {
		n := rapid.IntRange(0, 8).Draw(t, "nfields")
		if n == 0 {
			return nil
		}
		fs := make(Fields, n)
		pseudo := 0
		if kind != trailerSection {
			pseudo = rapid.IntRange(0, 2).Draw(t, "npseudo")
		}
		for i := range fs {
			name := genToken(true).Draw(t, "name")
			if i < pseudo {
				name = ":x" + name // pseudo-fields first, never reserved
			}
			fs[i] = Field{name, genValue.Draw(t, "value")}
		}
		return fs
	})
}

func genBody(t *rapid.T) []byte {
	b := rapid.SliceOfN(rapid.Byte(), 0, 300).Draw(t, "body")
	if len(b) == 0 {
		return nil
	}
	return b
}

var genRequest = rapid.Custom(func(t *rapid.T) *Request {
	r := &Request{
		Indeterminate: rapid.Bool().Draw(t, "indeterminate"),
		Method:        genToken(false).Draw(t, "method"),
		Scheme:        rapid.SampledFrom([]string{"https", "http", "coap+tcp"}).Draw(t, "scheme"),
		Authority:     rapid.SampledFrom([]string{"", "example.com", "[::1]:8080"}).Draw(t, "authority"),
		Path:          "/" + rapid.StringMatching(`[a-z0-9/?=&%.]{0,20}`).Draw(t, "path"),
		Header:        genFields(headerSection).Draw(t, "header"),
		Body:          genBody(t),
		Trailer:       genFields(trailerSection).Draw(t, "trailer"),
		Padding:       rapid.IntRange(0, 3).Draw(t, "padding"),
	}
	return r
})

var genResponse = rapid.Custom(func(t *rapid.T) *Response {
	r := &Response{Indeterminate: rapid.Bool().Draw(t, "indeterminate")}
	for range rapid.IntRange(0, 3).Draw(t, "ninfo") {
		r.Informational = append(r.Informational, InfoResponse{
			Status: rapid.IntRange(100, 199).Draw(t, "info"),
			Header: genFields(infoSection).Draw(t, "infoheader"),
		})
	}
	r.Status = rapid.IntRange(200, 599).Draw(t, "status")
	r.Header = genFields(headerSection).Draw(t, "header")
	r.Body = genBody(t)
	r.Trailer = genFields(trailerSection).Draw(t, "trailer")
	r.Padding = rapid.IntRange(0, 3).Draw(t, "padding")
	return r
})

// TestRequestRoundTrip: encode → decode gives the same message, from both
// decoders, in both framings; re-encoding gives the same bytes; and the
// other framing decodes to the same message.
func TestRequestRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r := genRequest.Draw(t, "req")
		b, err := AppendRequest(nil, r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeRequest(b, Limits{})
		if err != nil {
			t.Fatalf("decode %x: %v", b, err)
		}
		if !reflect.DeepEqual(got, r) {
			t.Fatalf("decoded %+v\nwant %+v", got, r)
		}
		if sgot, err := streamRequest(b, Limits{}); err != nil || !reflect.DeepEqual(sgot, r) {
			t.Fatalf("stream decoded %+v, %v", sgot, err)
		}
		if b2, _ := AppendRequest(nil, got); !bytes.Equal(b2, b) {
			t.Fatalf("re-encoded %x, want %x", b2, b)
		}
		other := *r
		other.Indeterminate = !r.Indeterminate
		ob, _ := AppendRequest(nil, &other)
		og, err := DecodeRequest(ob, Limits{})
		if err != nil || !reflect.DeepEqual(og, &other) {
			t.Fatalf("other framing: %+v, %v", og, err)
		}
	})
}

func TestResponseRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r := genResponse.Draw(t, "resp")
		b, err := AppendResponse(nil, r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeResponse(b, Limits{})
		if err != nil {
			t.Fatalf("decode %x: %v", b, err)
		}
		if !reflect.DeepEqual(got, r) {
			t.Fatalf("decoded %+v\nwant %+v", got, r)
		}
		if sgot, err := streamResponse(b, Limits{}); err != nil || !reflect.DeepEqual(sgot, r) {
			t.Fatalf("stream decoded %+v, %v", sgot, err)
		}
		if b2, _ := AppendResponse(nil, got); !bytes.Equal(b2, b) {
			t.Fatalf("re-encoded %x, want %x", b2, b)
		}
		other := *r
		other.Indeterminate = !r.Indeterminate
		ob, _ := AppendResponse(nil, &other)
		og, err := DecodeResponse(ob, Limits{})
		if err != nil || !reflect.DeepEqual(og, &other) {
			t.Fatalf("other framing: %+v, %v", og, err)
		}
	})
}
