package envelope

import (
	"encoding/hex"
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/appwire/appwire/httpipc/bhttp"
	"github.com/vmihailenco/msgpack/v5"
)

// mp encodes v with msgpack/v5's reflection encoder (strings are str,
// []byte is bin, small ints are fixints).
func mp(v ...any) []byte {
	b, err := msgpack.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func x(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func pair(n, v string) []any { return []any{n, v} }

var (
	noFields = []any{}
	empty    = []byte{}
)

// req is a valid request envelope with the given header fields.
func req(fields ...any) []byte {
	if fields == nil {
		fields = noFields
	}
	return mp(1, "GET", "https", "a", "/", fields, empty, noFields)
}

// head8 is the first elements of a request array of 8, the rest to follow.
func head8(v ...any) []byte { return cat(x("98"), mp(v...)[1:]) }

func resp(status int, info []any, fields ...any) []byte {
	return mp(1, status, info, fields, empty, noFields)
}

// TestDecodeErrors is the negative table: each invalid message gives exactly
// its sentinel, wrapped in *Error.
func TestDecodeErrors(t *testing.T) {
	nested := []any{}
	for i := 0; i < MaxExtensionDepth; i++ {
		nested = []any{nested}
	}
	small := Limits{MaxFieldSectionSize: 10, MaxFields: 2, MaxFieldLength: 5, MaxBodySize: 3, MaxInformational: 1}
	tests := []struct {
		name     string
		response bool
		msg      []byte
		lim      Limits
		want     error
	}{
		{name: "empty input", msg: nil, want: ErrTruncated},
		{name: "map not array", msg: x("80"), want: ErrType},
		{name: "nil message", msg: x("c0"), want: ErrType},
		{name: "empty array", msg: x("90"), want: ErrSchema},
		{name: "version 2", msg: mp(2, "GET"), want: ErrVersion},
		{name: "version nil", msg: mp(nil, "GET"), want: ErrType},
		{name: "version negative", msg: mp(-1, "GET"), want: ErrType},
		{name: "version float", msg: mp(1.0, "GET"), want: ErrType},
		{name: "too few elements", msg: mp(1, "GET", "https", "a", "/", noFields, empty), want: ErrSchema},
		{name: "method int", msg: mp(1, 7, "https", "a", "/", noFields, empty, noFields), want: ErrType},
		{name: "headers nil", msg: mp(1, "GET", "https", "a", "/", nil, empty, noFields), want: ErrType},
		{name: "headers map", msg: mp(1, "GET", "https", "a", "/", map[string]string{"a": "b"}, empty, noFields), want: ErrType},
		{name: "field triple", msg: req([]any{"a", "b", "c"}), want: ErrSchema},
		{name: "field single", msg: req([]any{"a"}), want: ErrSchema},
		{name: "field value int", msg: req([]any{"a", 1}), want: ErrType},
		{name: "body str", msg: mp(1, "GET", "https", "a", "/", noFields, "body", noFields), want: ErrType},
		{name: "body nil", msg: mp(1, "GET", "https", "a", "/", noFields, nil, noFields), want: ErrType},
		{name: "truncated", msg: req(pair("a", "b"))[:20], want: ErrTruncated},
		{name: "array claims more than input", msg: x("dd 7fffffff 01"), want: ErrTruncated},
		{name: "bin32 claims 2 GiB", msg: cat(x("98 01"), x("c6 7fffffff"), []byte("GET")), lim: Limits{MaxFieldLength: 1 << 31}, want: ErrTruncated},
		{name: "trailing data", msg: cat(req(), x("c0")), want: ErrTrailingData},
		{name: "extension nested too deeply", msg: mp(1, "GET", "https", "a", "/", noFields, empty, noFields, []any{nested}), want: ErrNesting},
		{name: "extension truncated", msg: cat(mp(1, "GET", "https", "a", "/", noFields, empty, noFields, 0)[:1], x("c6 00000005 00")), want: ErrTruncated},
		{name: "reserved code in extension", msg: cat(x("99"), mp(1, "GET", "https", "a", "/", noFields, empty, noFields)[1:], x("c1")), want: ErrType},
		{name: "pseudo-field", msg: req(pair(":x", "1")), want: ErrPseudoField},
		{name: "reserved pseudo-field", msg: req(pair(":path", "/")), want: ErrPseudoField},
		{name: "connection", msg: req(pair("connection", "close")), want: ErrConnectionField},
		{name: "transfer-encoding", msg: req(pair("transfer-encoding", "chunked")), want: ErrConnectionField},
		{name: "te gzip", msg: req(pair("te", "gzip")), want: ErrConnectionField},
		{name: "uppercase name", msg: req(pair("X-A", "1")), want: bhttp.ErrFieldName},
		{name: "space in name", msg: req(pair("x a", "1")), want: bhttp.ErrFieldName},
		{name: "empty name", msg: req(pair("", "1")), want: bhttp.ErrEmptyFieldName},
		{name: "CRLF in value", msg: req(pair("x-a", "ok\r\nx-injected: yes")), want: bhttp.ErrFieldValue},
		{name: "LF in value", msg: req(pair("x-a", "ok\nx")), want: bhttp.ErrFieldValue},
		{name: "NUL in value", msg: req(pair("x-a", "a\x00b")), want: bhttp.ErrFieldValue},
		{name: "leading space", msg: req(pair("x-a", " a")), want: bhttp.ErrFieldValue},
		{name: "CR in trailer", msg: mp(1, "GET", "https", "a", "/", noFields, empty, []any{pair("x", "a\rb")}), want: bhttp.ErrFieldValue},
		{name: "bad method", msg: mp(1, "G T", "https", "a", "/", noFields, empty, noFields), want: bhttp.ErrMethod},
		{name: "CRLF in path", msg: mp(1, "GET", "https", "a", "/\r\nx", noFields, empty, noFields), want: bhttp.ErrPath},
		{name: "relative path", msg: mp(1, "GET", "https", "a", "x", noFields, empty, noFields), want: bhttp.ErrPath},
		{name: "bad authority", msg: mp(1, "GET", "https", "a/b", "/", noFields, empty, noFields), want: bhttp.ErrAuthority},
		{name: "empty scheme", msg: mp(1, "GET", "", "a", "/", noFields, empty, noFields), want: bhttp.ErrScheme},
		{name: "status 600", response: true, msg: resp(600, noFields), want: bhttp.ErrStatus},
		{name: "final status 1xx", response: true, msg: resp(103, noFields), want: bhttp.ErrStatus},
		{name: "info status 200", response: true, msg: resp(200, []any{[]any{200, noFields}}), want: bhttp.ErrStatus},
		{name: "info too short", response: true, msg: resp(200, []any{[]any{103}}), want: ErrSchema},
		{name: "status str", response: true, msg: mp(1, "200", noFields, noFields, empty, noFields), want: ErrType},
		{name: "response too short", response: true, msg: mp(1, 200, noFields, noFields, empty), want: ErrSchema},
		{name: "request as response", response: true, msg: req(), want: ErrType},

		{name: "too many fields", msg: req(pair("a", "1"), pair("b", "2"), pair("c", "3")), lim: small, want: ErrTooManyFields},
		{name: "name too long", msg: req(pair("abcdef", "1")), lim: small, want: ErrFieldTooLong},
		{name: "value too long", msg: req(pair("a", "123456")), lim: small, want: ErrFieldTooLong},
		{name: "path too long", msg: mp(1, "GET", "https", "a", "/12345", noFields, empty, noFields), lim: small, want: ErrFieldTooLong},
		{name: "section too large", msg: req(pair("abc", "12345"), pair("b", "12")), lim: small, want: ErrFieldSectionTooLarge},
		{name: "body too large", msg: mp(1, "GET", "https", "a", "/", noFields, []byte("1234"), noFields), lim: small, want: ErrBodyTooLarge},
		{name: "bin32 body claims 2 GiB", msg: cat(head8(1, "GET", "https", "a", "/", noFields), x("c6 7fffffff 00")), want: ErrBodyTooLarge},
		{name: "array32 claims 4G fields", msg: cat(head8(1, "GET", "https", "a", "/"), x("dd ffffffff")), want: ErrTooManyFields},
		{name: "too many informational", response: true, msg: resp(200, []any{[]any{100, noFields}, []any{103, noFields}}), lim: small, want: ErrTooManyInformational},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.response {
				_, err = DecodeResponse(tt.msg, tt.lim)
			} else {
				_, err = DecodeRequest(tt.msg, tt.lim)
			}
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want *Error wrapping %v", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "envelope: ") {
				t.Errorf("message %q lacks the package prefix", err)
			}
			if errors.Is(tt.want, ErrLimit) != errors.Is(err, bhttp.ErrLimit) {
				t.Errorf("ErrLimit and bhttp.ErrLimit disagree for %v", err)
			}
		})
	}
}

// TestEncodeErrors: encoders refuse what decoders reject.
func TestEncodeErrors(t *testing.T) {
	good := bhttp.Request{Method: "GET", Scheme: "https", Authority: "a", Path: "/"}
	tests := []struct {
		name string
		mod  func(r *bhttp.Request)
		want error
	}{
		{"pseudo", func(r *bhttp.Request) { r.Header = bhttp.Fields{{Name: ":x", Value: "1"}} }, ErrPseudoField},
		{"connection", func(r *bhttp.Request) { r.Header = bhttp.Fields{{Name: "keep-alive", Value: "1"}} }, ErrConnectionField},
		{"CRLF", func(r *bhttp.Request) { r.Trailer = bhttp.Fields{{Name: "a", Value: "1\r\nb: 2"}} }, bhttp.ErrFieldValue},
		{"method", func(r *bhttp.Request) { r.Method = "" }, bhttp.ErrMethod},
	}
	for _, tt := range tests {
		r := good
		tt.mod(&r)
		b, err := AppendRequest([]byte("x"), &r)
		if !errors.Is(err, tt.want) || string(b) != "x" {
			t.Errorf("%s: got %q, %v; want dst unchanged and %v", tt.name, b, err, tt.want)
		}
	}
	if _, err := AppendResponse(nil, &bhttp.Response{Status: 99}); !errors.Is(err, bhttp.ErrStatus) {
		t.Errorf("status 99: %v", err)
	}
}

// TestExtensionsSkipped: version-1 decoders skip well-formed extension
// elements of every type.
func TestExtensionsSkipped(t *testing.T) {
	ext := []any{map[string]any{"k": []any{1, -5, 1.5, true, nil, []byte{1, 2}}}, "s", uint64(1) << 40}
	b := mp(append([]any{1, "GET", "https", "a", "/", []any{pair("a", "1")}, []byte("hi"), noFields}, ext...)...)
	r, err := DecodeRequest(b, Limits{})
	if err != nil || r.Header.Get("a") != "1" || string(r.Body) != "hi" {
		t.Fatalf("got %+v, %v", r, err)
	}
	b = mp(1, 200, []any{[]any{103, []any{pair("link", "</a>")}, "future"}}, noFields, empty, noFields, "future")
	resp, err := DecodeResponse(b, Limits{})
	if err != nil || len(resp.Informational) != 1 || resp.Informational[0].Header.Get("link") != "</a>" {
		t.Fatalf("got %+v, %v", resp, err)
	}
}

// TestAcceptsBinTextAndSignedInts: decoders accept what other msgpack
// libraries write: bin for text, signed integer types for numbers.
func TestAcceptsBinTextAndSignedInts(t *testing.T) {
	b := x("98 d0 01") // array of 8, version as int8 1
	b = cat(b, x("c4 03"), []byte("GET"), mp("https", "a")[1:], x("a1 2f 90 c4 00 90"))
	r, err := DecodeRequest(b, Limits{})
	if err != nil || r.Method != "GET" || r.Path != "/" {
		t.Fatalf("got %+v, %v", r, err)
	}
}

// allocBytes returns the bytes f allocates.
func allocBytes(f func()) uint64 {
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	f()
	runtime.ReadMemStats(&m1)
	return m1.TotalAlloc - m0.TotalAlloc
}

// TestHostileLengthsDoNotAllocate shows why the decoder slices payloads
// itself: msgpack/v5's DecodeBytes allocates 1 MiB for a bin32 that claims
// 1 MiB in a 6-byte input, while DecodeRequest, even with limits raised out
// of the way, allocates only what the input size bounds.
func TestHostileLengthsDoNotAllocate(t *testing.T) {
	claim := x("c6 00100000 00")
	lib := allocBytes(func() { _, _ = msgpack.NewDecoder(strings.NewReader(string(claim))).DecodeBytes() })
	if lib < 1<<20 {
		t.Logf("msgpack/v5 DecodeBytes allocated only %d bytes (fixed upstream?)", lib)
	}
	huge := Limits{MaxFieldLength: 1 << 40, MaxBodySize: 1 << 40, MaxFields: 1 << 40}
	msgs := [][]byte{
		cat(x("98 01"), claim),
		cat(head8(1, "GET", "https", "a", "/", noFields), x("c6 ffffffff 00")),
		cat(head8(1, "GET", "https", "a", "/"), x("dd ffffffff 90")),
		cat(x("dd ffffffff 01")),
	}
	for i, m := range msgs {
		var err error
		n := allocBytes(func() { _, err = DecodeRequest(m, huge) })
		if !errors.Is(err, ErrTruncated) {
			t.Errorf("%d: %v, want ErrTruncated", i, err)
		}
		if n > 64<<10 {
			t.Errorf("%d: allocated %d bytes for a %d-byte input", i, n, len(m))
		}
	}
}
