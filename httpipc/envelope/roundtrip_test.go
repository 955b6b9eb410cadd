package envelope

import (
	"bytes"
	"io"
	"net/http"
	"net/textproto"
	"reflect"
	"testing"

	"github.com/appwire/appwire/httpipc/bhttp"
	"pgregory.net/rapid"
)

var genName = rapid.Custom(func(t *rapid.T) string {
	const chars = "abcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-.^_`|~"
	n := rapid.IntRange(1, 12).Draw(t, "n")
	b := make([]byte, n)
	for i := range b {
		b[i] = chars[rapid.IntRange(0, len(chars)-1).Draw(t, "c")]
	}
	if connectionSpecific(string(b), "") || string(b) == "host" || string(b) == "content-length" {
		return "x-" + string(b)
	}
	return string(b)
})

// genValue draws a valid value: any bytes (UTF-8 or not) but NUL, CR, LF,
// without leading or trailing SP/HTAB.
var genValue = rapid.Custom(func(t *rapid.T) string {
	b := rapid.SliceOfN(rapid.Byte(), 0, 40).Draw(t, "v")
	for i, c := range b {
		if c == 0 || c == '\r' || c == '\n' {
			b[i] = 'x'
		}
	}
	if len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b[0] = 'y'
	}
	if len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b[len(b)-1] = 'z'
	}
	return string(b)
})

// genFields draws fields with repeated names (drawn from a small pool) in
// any order.
var genFields = rapid.Custom(func(t *rapid.T) bhttp.Fields {
	n := rapid.IntRange(0, 8).Draw(t, "nfields")
	if n == 0 {
		return nil
	}
	pool := rapid.SliceOfN(genName, 1, 4).Draw(t, "names")
	fs := make(bhttp.Fields, n)
	for i := range fs {
		fs[i] = bhttp.Field{Name: rapid.SampledFrom(pool).Draw(t, "name"), Value: genValue.Draw(t, "value")}
	}
	return fs
})

func genBody(t *rapid.T) []byte {
	b := rapid.SliceOfN(rapid.Byte(), 0, 300).Draw(t, "body")
	if len(b) == 0 {
		return nil
	}
	return b
}

var genRequest = rapid.Custom(func(t *rapid.T) *bhttp.Request {
	return &bhttp.Request{
		Method:    rapid.StringMatching(`[A-Z]{1,8}`).Draw(t, "method"),
		Scheme:    rapid.SampledFrom([]string{"https", "http", "coap+tcp"}).Draw(t, "scheme"),
		Authority: rapid.SampledFrom([]string{"", "example.com", "[::1]:8080"}).Draw(t, "authority"),
		Path:      "/" + rapid.StringMatching(`[a-z0-9/?=&%.]{0,20}`).Draw(t, "path"),
		Header:    genFields.Draw(t, "header"),
		Body:      genBody(t),
		Trailer:   genFields.Draw(t, "trailer"),
	}
})

var genResponse = rapid.Custom(func(t *rapid.T) *bhttp.Response {
	r := &bhttp.Response{
		Status:  rapid.IntRange(200, 599).Draw(t, "status"),
		Header:  genFields.Draw(t, "header"),
		Body:    genBody(t),
		Trailer: genFields.Draw(t, "trailer"),
	}
	for i, n := 0, rapid.IntRange(0, 3).Draw(t, "ninfo"); i < n; i++ {
		r.Informational = append(r.Informational, bhttp.InfoResponse{
			Status: rapid.IntRange(100, 199).Draw(t, "info"), Header: genFields.Draw(t, "infoheader")})
	}
	return r
})

func TestRoundTripRequest(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		want := genRequest.Draw(t, "request")
		b, err := AppendRequest(nil, want)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeRequest(b, Limits{})
		if err != nil {
			t.Fatalf("%v\n% x", err, b)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("got %+v\nwant %+v", got, want)
		}
		b2, _ := AppendRequest([]byte("prefix"), got)
		if !bytes.Equal(b2[6:], b) || string(b2[:6]) != "prefix" {
			t.Fatal("re-encoding differs")
		}
	})
}

func TestRoundTripResponse(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		want := genResponse.Draw(t, "response")
		b, err := AppendResponse(nil, want)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeResponse(b, Limits{})
		if err != nil {
			t.Fatalf("%v\n% x", err, b)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("got %+v\nwant %+v", got, want)
		}
	})
}

// toHeader is what net/http makes of fs: canonical names, values of one
// name in order.
func toHeader(fs bhttp.Fields) http.Header {
	h := http.Header{}
	for _, f := range fs {
		k := textproto.CanonicalMIMEHeaderKey(f.Name)
		h[k] = append(h[k], f.Value)
	}
	return h
}

func TestRoundTripHTTPRequest(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		g := genRequest.Draw(t, "request")
		g.Scheme = "https"
		g.Authority = "example.com"
		hr, err := http.NewRequest(g.Method, g.Scheme+"://"+g.Authority+g.Path, bytes.NewReader(g.Body))
		if err != nil {
			t.Skip(err)
		}
		hr.Header = toHeader(g.Header)
		if len(g.Trailer) > 0 {
			hr.Trailer = toHeader(g.Trailer)
		}
		b, err := AppendHTTPRequest(nil, hr, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeHTTPRequest(b, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(got.Body)
		switch {
		case got.Method != g.Method, got.Host != g.Authority, got.RequestURI != hr.URL.RequestURI():
			t.Fatalf("control: %s %s %s", got.Method, got.Host, got.RequestURI)
		case !bytes.Equal(body, g.Body) || got.ContentLength != int64(len(g.Body)):
			t.Fatalf("body %q, want %q", body, g.Body)
		case !reflect.DeepEqual(got.Header, hr.Header):
			t.Fatalf("header %v, want %v", got.Header, hr.Header)
		case len(g.Trailer) > 0 && !reflect.DeepEqual(got.Trailer, hr.Trailer):
			t.Fatalf("trailer %v, want %v", got.Trailer, hr.Trailer)
		}
	})
}

func TestRoundTripHTTPResponse(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		g := genResponse.Draw(t, "response")
		hr := &http.Response{StatusCode: g.Status, Header: toHeader(g.Header),
			Body: io.NopCloser(bytes.NewReader(g.Body))}
		b, err := AppendHTTPResponse(nil, hr, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeHTTPResponse(b, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(got.Body)
		if got.StatusCode != g.Status || !bytes.Equal(body, g.Body) || !reflect.DeepEqual(got.Header, hr.Header) {
			t.Fatalf("got %d %v %q", got.StatusCode, got.Header, body)
		}
	})
}
