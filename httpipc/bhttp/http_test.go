package bhttp

import (
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// TestHTTPRequestRoundTrip maps a net/http request to bytes and back.
func TestHTTPRequestRoundTrip(t *testing.T) {
	hr, err := http.NewRequest("POST", "https://example.com/a%2Fb/c?q=1&r=%20", strings.NewReader("payload"))
	if err != nil {
		t.Fatal(err)
	}
	hr.Header.Add("Accept", "text/plain")
	hr.Header.Add("Accept", "text/html")
	hr.Header.Set("Cookie", "a=1")
	hr.Header.Set("X-Trimmed", "  v\t")
	hr.Trailer = http.Header{"X-Sum": {"abc"}}
	r, err := FromHTTPRequest(hr, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want := &Request{Method: "POST", Scheme: "https", Authority: "example.com", Path: "/a%2Fb/c?q=1&r=%20",
		Header:  Fields{{"accept", "text/plain"}, {"accept", "text/html"}, {"cookie", "a=1"}, {"x-trimmed", "v"}},
		Body:    []byte("payload"),
		Trailer: Fields{{"x-sum", "abc"}}}
	if !reflect.DeepEqual(r, want) {
		t.Fatalf("FromHTTPRequest =\n%+v\nwant\n%+v", r, want)
	}
	b, err := AppendRequest(nil, r)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := DecodeRequest(b, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	back, err := r2.ToHTTP()
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(back.Body)
	if back.Method != "POST" || back.Host != "example.com" || back.URL.Path != "/a/b/c" ||
		back.URL.RawQuery != "q=1&r=%20" || back.RequestURI != want.Path || string(body) != "payload" ||
		back.ContentLength != 7 || !reflect.DeepEqual(back.Header["Accept"], []string{"text/plain", "text/html"}) ||
		back.Trailer.Get("X-Sum") != "abc" {
		t.Fatalf("ToHTTP = %+v", back)
	}
}

// TestHTTPNoInjection: a value with CR/LF/NUL is rejected in both
// directions, never split into extra header fields.
func TestHTTPNoInjection(t *testing.T) {
	for _, v := range []string{"ok\nx-injected: yes", "ok\r\nx-injected: yes", "ok\x00"} {
		hr, _ := http.NewRequest("GET", "https://example.com/", nil)
		hr.Header["X-A"] = []string{v}
		if _, err := FromHTTPRequest(hr, Limits{}); !isSentinel(err, ErrFieldValue) {
			t.Errorf("FromHTTPRequest(%q): %v", v, err)
		}
		r := &Request{Method: "GET", Scheme: "https", Path: "/", Header: Fields{{"x-a", v}}}
		if _, err := r.ToHTTP(); !isSentinel(err, ErrFieldValue) {
			t.Errorf("ToHTTP(%q): %v", v, err)
		}
		resp := &Response{Status: 200, Trailer: Fields{{"x-a", v}}}
		if _, err := resp.ToHTTP(); !isSentinel(err, ErrFieldValue) {
			t.Errorf("Response.ToHTTP(%q): %v", v, err)
		}
	}
	for _, name := range []string{"x-a\r\nx-b", "x a", "X-A", "", ":protocol"} {
		r := &Request{Method: "GET", Scheme: "https", Path: "/", Header: Fields{{name, "v"}}}
		if _, err := r.ToHTTP(); !errorsIsAny(err, ErrFieldName, ErrEmptyFieldName) {
			t.Errorf("ToHTTP name %q: %v", name, err)
		}
	}
	hr, _ := http.NewRequest("GET", "https://example.com/", nil)
	hr.Header["X\nA"] = []string{"v"}
	if _, err := FromHTTPRequest(hr, Limits{}); !isSentinel(err, ErrFieldName) {
		t.Errorf("FromHTTPRequest bad name: %v", err)
	}
}

func errorsIsAny(err error, targets ...error) bool {
	for _, t := range targets {
		if isSentinel(err, t) {
			return true
		}
	}
	return false
}

// TestHTTPStripsConnectionFields checks RFC 9292 §3.6 / RFC 9113 §8.2.2.
func TestHTTPStripsConnectionFields(t *testing.T) {
	hr, _ := http.NewRequest("GET", "http://h/", nil)
	hr.Header = http.Header{
		"Connection": {"close, X-Hop"}, "X-Hop": {"1"}, "Keep-Alive": {"5"}, "Transfer-Encoding": {"chunked"},
		"Upgrade": {"h2c"}, "Te": {"gzip", "trailers"}, "Host": {"other"}, "X-Keep": {"2"},
	}
	r, err := FromHTTPRequest(hr, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if want := (Fields{{"te", "trailers"}, {"x-keep", "2"}}); !reflect.DeepEqual(r.Header, want) {
		t.Fatalf("header %v, want %v", r.Header, want)
	}
}

// TestHTTPFigure13Trailer: the RFC's own trailer named "trailer" maps to
// net/http (a codec applying net/http trailer policy rejects it).
func TestHTTPFigure13Trailer(t *testing.T) {
	r, err := DecodeResponse(mustVector(t, "fig_known_length_response_chunked"), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	hr, err := r.ToHTTP()
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(hr.Body)
	if hr.StatusCode != 200 || hr.Status != "200 OK" || hr.Trailer.Get("Trailer") != "text" ||
		string(body) != "This content contains CRLF.\r\n" {
		t.Fatalf("%+v body %q", hr, body)
	}
	hr, _ = r.ToHTTP() // the body above was consumed
	back, err := FromHTTPResponse(hr, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, r) {
		t.Fatalf("FromHTTPResponse = %+v, want %+v", back, r)
	}
}

func TestHTTPContentLengthAndLimits(t *testing.T) {
	r := &Request{Method: "POST", Scheme: "https", Path: "/", Header: Fields{{"content-length", "5"}}, Body: []byte("abc")}
	if _, err := r.ToHTTP(); !isSentinel(err, ErrFieldValue) {
		t.Errorf("content-length mismatch: %v", err)
	}
	r.Header[0].Value = "3"
	if hr, err := r.ToHTTP(); err != nil || hr.ContentLength != 3 || hr.Header.Get("Content-Length") != "" {
		t.Errorf("content-length match: %v %+v", err, hr)
	}
	hr, _ := http.NewRequest("POST", "https://h/", strings.NewReader("abcd"))
	if _, err := FromHTTPRequest(hr, Limits{MaxBodySize: 3}); !isSentinel(err, ErrBodyTooLarge) {
		t.Errorf("body limit: %v", err)
	}
	if _, err := FromHTTPResponse(&http.Response{StatusCode: 101}, Limits{}); !isSentinel(err, ErrStatus) {
		t.Errorf("status 101: %v", err)
	}
	// The RFC 9292 example: empty authority, host carried as a field.
	fig8, err := DecodeRequest(mustVector(t, "fig_known_length_request"), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	h8, err := fig8.ToHTTP()
	if err != nil || h8.Host != "www.example.com" || h8.Header.Get("Host") != "" || h8.URL.String() != "https://www.example.com/hello.txt" {
		t.Errorf("figure 8: %v %+v", err, h8)
	}
}
