package h1

import (
	"bufio"
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
	if forbiddenTrailer(b) || string(b) == "content-length" {
		return "x-" + string(b)
	}
	return string(b)
})

// genValue draws a valid HTTP/1.1 value: VCHAR, obs-text, SP and HTAB, not
// at the ends.
var genValue = rapid.Custom(func(t *rapid.T) string {
	b := rapid.SliceOfN(rapid.Byte(), 0, 40).Draw(t, "v")
	for i, c := range b {
		if (c < 0x20 && c != '\t') || c == 0x7f {
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
		Method:    rapid.SampledFrom([]string{"GET", "POST", "PUT", "DELETE", "PATCH", "X-CUSTOM"}).Draw(t, "method"),
		Scheme:    "http",
		Authority: rapid.SampledFrom([]string{"", "localhost", "[::1]:8080"}).Draw(t, "authority"),
		Path:      "/" + rapid.StringMatching(`([a-z0-9/?=&.]|%[0-9a-fA-F]{2}){0,12}`).Draw(t, "path"),
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
	if r.Status == 204 || r.Status == 304 {
		r.Body, r.Trailer = nil, nil
	}
	for i, n := 0, rapid.IntRange(0, 3).Draw(t, "ninfo"); i < n; i++ {
		s := rapid.SampledFrom([]int{100, 102, 103, 199}).Draw(t, "info")
		r.Informational = append(r.Informational, bhttp.InfoResponse{Status: s, Header: genFields.Draw(t, "infoheader")})
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
			t.Fatalf("%v\n%q", err, b)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("got %+v\nwant %+v\n%q", got, want, b)
		}
		// net/http reads the same bytes as the same request.
		hr, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(b)))
		if err != nil {
			t.Fatalf("net/http: %v\n%q", err, b)
		}
		body, _ := io.ReadAll(hr.Body)
		if hr.Method != want.Method || hr.RequestURI != want.Path || hr.Host != want.Authority || !bytes.Equal(body, want.Body) {
			t.Fatalf("net/http read %s %s %s %q", hr.Method, hr.RequestURI, hr.Host, body)
		}
		hr.Header.Del("Content-Length")
		if !reflect.DeepEqual(hr.Header, canonical(want.Header)) {
			t.Fatalf("net/http header %v, want %v", hr.Header, canonical(want.Header))
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
		got, err := DecodeResponse(b, "GET", Limits{})
		if err != nil {
			t.Fatalf("%v\n%q", err, b)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("got %+v\nwant %+v\n%q", got, want, b)
		}
	})
}

// canonical is what net/http makes of fs (plus the framing it reads).
func canonical(fs bhttp.Fields) http.Header {
	h := http.Header{}
	for _, f := range fs {
		k := textproto.CanonicalMIMEHeaderKey(f.Name)
		h[k] = append(h[k], f.Value)
	}
	return h
}

func TestRoundTripHTTP(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		g := genRequest.Draw(t, "request")
		hr, err := http.NewRequest(g.Method, "http://example.com"+g.Path, bytes.NewReader(g.Body))
		if err != nil {
			t.Skip(err)
		}
		hr.Header = canonical(g.Header)
		b, err := AppendHTTPRequest(nil, hr, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeHTTPRequest(b, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(got.Body)
		if got.Method != g.Method || got.Host != "example.com" || got.RequestURI != hr.URL.RequestURI() ||
			!bytes.Equal(body, g.Body) || !reflect.DeepEqual(got.Header, hr.Header) {
			t.Fatalf("got %s %s %s %v %q", got.Method, got.Host, got.RequestURI, got.Header, body)
		}

		gr := genResponse.Draw(t, "response")
		resp := &http.Response{StatusCode: gr.Status, Header: canonical(gr.Header), Body: io.NopCloser(bytes.NewReader(gr.Body))}
		b, err = AppendHTTPResponse(nil, resp, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		gotr, err := DecodeHTTPResponse(b, "GET", Limits{})
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(gotr.Body)
		if gotr.StatusCode != gr.Status || !bytes.Equal(body, gr.Body) || !reflect.DeepEqual(gotr.Header, resp.Header) {
			t.Fatalf("got %d %v %q", gotr.StatusCode, gotr.Header, body)
		}
	})
}
