package hawk

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

var testCreds = Credentials{ID: "dh37fgj492je", Key: []byte("werxhqb98rpaxn39848xrunpaw3489ruxnpa98w4rxn"), Algorithm: "sha256"}

// The hawk README's example: the MAC and payload hash of a known request.
func TestKnownVectors(t *testing.T) {
	a := Artifacts{Method: "GET", Resource: "/resource/1?b=1&a=2", Host: "example.com", Port: 8000,
		TS: "1353832234", Nonce: "j4h3g2", Ext: "some-app-ext-data"}
	mac, err := RequestMAC(testCreds, a)
	if err != nil {
		t.Fatal(err)
	}
	if mac != "6R4rV5iE+NPoym+WwjeHzjAGXUtLNIxmo1vpMofpLAE=" {
		t.Errorf("mac %s", mac)
	}
	if got := PayloadHash("sha256", "text/plain", []byte("Thank you for flying Hawk")); got != "Yi9LfIIFRtBEPt74PVmbTF/xVAwPn7ub15ePICfgnuY=" {
		t.Errorf("payload hash %s", got)
	}
	a.Method, a.Hash = "POST", "Yi9LfIIFRtBEPt74PVmbTF/xVAwPn7ub15ePICfgnuY="
	if mac, _ := RequestMAC(testCreds, a); mac != "aSe1DERmZuRl3pI36/9BdZmnErTw3sNzOOAUlfeKjVw=" {
		t.Errorf("mac with hash %s", mac)
	}
}

func TestNormalizedString(t *testing.T) {
	a := Artifacts{Method: "get", Resource: "/p?q=1", Host: "Example.COM", Port: 80, TS: "1", Nonce: "n",
		Ext: "a\\b\nc", App: "app", Dlg: "dlg"}
	want := "hawk.1.header\n1\nn\nGET\n/p?q=1\nexample.com\n80\n\na\\\\b\\nc\napp\ndlg\n"
	if got := NormalizedString(a); got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	a.Resource = "http://example.com/x?y"
	if got := NormalizedString(a); !strings.Contains(got, "\n/x?y\n") {
		t.Fatalf("absolute resource not reduced: %q", got)
	}
}

type fixedLookup map[string]Credentials

func (m fixedLookup) get(_ context.Context, id string) (Credentials, error) {
	c, ok := m[id]
	if !ok {
		return Credentials{}, ErrUnknownCredentials
	}
	return c, nil
}

type testClock struct{ t time.Time }

func (c *testClock) now() time.Time { return c.t }

func newTestServer(o Options) (*Server, *testClock) {
	clk := &testClock{t: time.Unix(1400000000, 0)}
	o.Now = clk.now
	return NewServer(fixedLookup{testCreds.ID: testCreds}.get, o), clk
}

func signedRequest(t *testing.T, method, target string, o RequestOptions) (*http.Request, Artifacts) {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	a, err := Sign(r, testCreds, o)
	if err != nil {
		t.Fatal(err)
	}
	return r, a
}

func TestServerAccepts(t *testing.T) {
	s, clk := newTestServer(Options{})
	r, _ := signedRequest(t, "POST", "http://example.com:8080/call-url?x=1", RequestOptions{Time: clk.t, Ext: "e"})
	auth, err := s.Authenticate(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	if auth.Credentials.ID != testCreds.ID || auth.Artifacts.Port != 8080 || auth.Artifacts.Resource != "/call-url?x=1" || auth.Artifacts.Ext != "e" {
		t.Fatalf("auth %+v", auth)
	}
}

func hawkErr(t *testing.T, err error, want error, status int, message string) *Error {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("err %v, want %v", err, want)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%v is not an *Error", err)
	}
	if e.Status != status || e.Message != message {
		t.Fatalf("status %d message %q, want %d %q", e.Status, e.Message, status, message)
	}
	return e
}

func TestServerFailures(t *testing.T) {
	ctx := context.Background()
	s, clk := newTestServer(Options{})

	r := httptest.NewRequest("GET", "http://example.com/x", nil)
	_, err := s.Authenticate(ctx, r)
	e := hawkErr(t, err, ErrMissingAuthorization, 401, "")
	if e.WWWAuthenticate() != "Hawk" {
		t.Errorf("challenge %q", e.WWWAuthenticate())
	}
	if b, _ := json.Marshal(e); string(b) != `{"statusCode":401,"error":"Unauthorized"}` {
		t.Errorf("payload %s", b)
	}

	r.Header.Set("Authorization", "Basic Zm9vOg==")
	_, err = s.Authenticate(ctx, r)
	hawkErr(t, err, ErrMissingAuthorization, 401, "")

	r.Header.Set("Authorization", "Hawk MALFORMED")
	_, err = s.Authenticate(ctx, r)
	e = hawkErr(t, err, ErrBadHeader, 400, "Bad header format")
	if b, _ := json.Marshal(e); string(b) != `{"statusCode":400,"error":"Bad Request","message":"Bad header format"}` || e.WWWAuthenticate() != "" {
		t.Errorf("payload %s challenge %q", b, e.WWWAuthenticate())
	}

	r.Header.Set("Authorization", `Hawk id="a", ts="1", nonce="n"`)
	_, err = s.Authenticate(ctx, r)
	hawkErr(t, err, ErrMissingAttributes, 400, "Missing attributes")

	// Unknown id.
	other := testCreds
	other.ID = "nobody"
	r = httptest.NewRequest("GET", "http://example.com/x", nil)
	Sign(r, other, RequestOptions{Time: clk.t})
	_, err = s.Authenticate(ctx, r)
	e = hawkErr(t, err, ErrUnknownCredentials, 401, "Unknown credentials")
	if e.WWWAuthenticate() != `Hawk error="Unknown credentials"` {
		t.Errorf("challenge %q", e.WWWAuthenticate())
	}

	// Bad MAC: a wrong key, and a tampered resource.
	bad := testCreds
	bad.Key = []byte("other key")
	r = httptest.NewRequest("GET", "http://example.com/x", nil)
	Sign(r, bad, RequestOptions{Time: clk.t})
	_, err = s.Authenticate(ctx, r)
	e = hawkErr(t, err, ErrBadMAC, 401, "Bad mac")
	if b, _ := json.Marshal(e); string(b) != `{"statusCode":401,"error":"Unauthorized","message":"Bad mac","attributes":{"error":"Bad mac"}}` {
		t.Errorf("payload %s", b)
	}
	r, _ = signedRequest(t, "GET", "http://example.com/x", RequestOptions{Time: clk.t})
	r.RequestURI = "/y"
	_, err = s.Authenticate(ctx, r)
	hawkErr(t, err, ErrBadMAC, 401, "Bad mac")

	// Stale both ways; the challenge carries a verifiable tsm.
	for _, d := range []time.Duration{-61 * time.Second, 61 * time.Second} {
		r, _ = signedRequest(t, "GET", "http://example.com/x", RequestOptions{Time: clk.t.Add(d)})
		_, err = s.Authenticate(ctx, r)
		e = hawkErr(t, err, ErrStaleTimestamp, 401, "Stale timestamp")
		tsm, _ := TimestampMAC(testCreds, clk.t.Unix())
		want := `Hawk ts="1400000000", tsm="` + tsm + `", error="Stale timestamp"`
		if e.WWWAuthenticate() != want {
			t.Errorf("challenge %q want %q", e.WWWAuthenticate(), want)
		}
		if b, _ := json.Marshal(e); string(b) != `{"statusCode":401,"error":"Unauthorized","message":"Stale timestamp","attributes":{"ts":1400000000,"tsm":"`+tsm+`","error":"Stale timestamp"}}` {
			t.Errorf("payload %s", b)
		}
		st, ok, err := ParseStaleChallenge(testCreds, e.WWWAuthenticate())
		if err != nil || !ok || !st.Equal(clk.t) {
			t.Errorf("challenge parse %v %v %v", st, ok, err)
		}
		if _, _, err := ParseStaleChallenge(bad, e.WWWAuthenticate()); !errors.Is(err, ErrInvalidServerTimestampHash) {
			t.Errorf("tsm under another key accepted: %v", err)
		}
	}
	// Within the skew both ways.
	for _, d := range []time.Duration{-60 * time.Second, 60 * time.Second} {
		r, _ = signedRequest(t, "GET", "http://example.com/x", RequestOptions{Time: clk.t.Add(d)})
		if _, err = s.Authenticate(ctx, r); err != nil {
			t.Errorf("skew %v: %v", d, err)
		}
	}
}

func TestReplayRefused(t *testing.T) {
	ctx := context.Background()
	s, clk := newTestServer(Options{})
	r, _ := signedRequest(t, "GET", "http://example.com/x", RequestOptions{Time: clk.t, Nonce: "abc"})
	if _, err := s.Authenticate(ctx, r); err != nil {
		t.Fatal(err)
	}
	_, err := s.Authenticate(ctx, r)
	hawkErr(t, err, ErrInvalidNonce, 401, "Invalid nonce")
	// The same nonce at another timestamp is another request.
	r2, _ := signedRequest(t, "GET", "http://example.com/x", RequestOptions{Time: clk.t.Add(time.Second), Nonce: "abc"})
	if _, err := s.Authenticate(ctx, r2); err != nil {
		t.Fatal(err)
	}
	// NoReplayCheck accepts the replay, as loop-server did.
	s2, _ := newTestServer(Options{NoReplayCheck: true})
	for range 2 {
		if _, err := s2.Authenticate(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
}

func TestPayloadVerification(t *testing.T) {
	ctx := context.Background()
	s, clk := newTestServer(Options{})
	body := []byte(`{"callerId":"me"}`)
	r, _ := signedRequest(t, "POST", "http://example.com/call-url", RequestOptions{Time: clk.t, HashPayload: true,
		ContentType: "application/json; charset=utf-8", Payload: body})
	r.Header.Set("Content-Type", "Application/JSON ; charset=utf-8")
	req, err := s.RequestFromHTTP(r)
	if err != nil {
		t.Fatal(err)
	}
	req.CheckPayload, req.Payload = true, body
	auth, err := s.AuthenticateRequest(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if err := auth.VerifyPayload("application/json", []byte(`{"callerId":"you"}`)); !errors.Is(err, ErrBadPayloadHash) {
		t.Fatalf("tampered body: %v", err)
	}
	if err := auth.VerifyPayload("text/plain", body); !errors.Is(err, ErrBadPayloadHash) {
		t.Fatalf("other content type: %v", err)
	}
	r, _ = signedRequest(t, "POST", "http://example.com/call-url", RequestOptions{Time: clk.t})
	req, _ = s.RequestFromHTTP(r)
	req.CheckPayload, req.Payload = true, body
	_, err = s.AuthenticateRequest(ctx, req)
	hawkErr(t, err, ErrMissingPayloadHash, 401, "Missing required payload hash")
}

func TestServerAuthorizationRoundTrip(t *testing.T) {
	ctx := context.Background()
	s, clk := newTestServer(Options{})
	r, art := signedRequest(t, "GET", "https://loop.example/calls?version=1", RequestOptions{Time: clk.t})
	r.TLS = nil
	r.Host = "loop.example:443"
	auth, err := s.Authenticate(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"calls":[]}`)
	ct := "application/json; charset=utf-8"
	h := auth.ResponseHeader(ResponseOptions{HashPayload: true, ContentType: ct, Payload: body})
	if !strings.HasPrefix(h, `Hawk mac="`) || !strings.Contains(h, `, hash="`) {
		t.Fatalf("header %q", h)
	}
	check := ResponseCheck{Required: true, CheckPayload: true, ContentType: ct, Payload: body}
	if err := VerifyResponse(testCreds, art, h, check); err != nil {
		t.Fatal(err)
	}
	check.Payload = []byte(`{"calls":[1]}`)
	if err := VerifyResponse(testCreds, art, h, check); !errors.Is(err, ErrBadResponseHash) {
		t.Fatalf("tampered body: %v", err)
	}
	bad := testCreds
	bad.Key = []byte("x")
	if err := VerifyResponse(bad, art, h, ResponseCheck{}); !errors.Is(err, ErrBadResponseMAC) {
		t.Fatalf("other key: %v", err)
	}
	if err := VerifyResponse(testCreds, art, "", ResponseCheck{Required: true}); !errors.Is(err, ErrMissingServerAuthorization) {
		t.Fatalf("missing: %v", err)
	}
	noHash := auth.ResponseHeader(ResponseOptions{})
	if err := VerifyResponse(testCreds, art, noHash, check); !errors.Is(err, ErrMissingResponseHash) {
		t.Fatalf("no hash: %v", err)
	}
	if err := VerifyResponse(testCreds, art, noHash, ResponseCheck{Required: true}); err != nil {
		t.Fatal(err)
	}
}

func TestSplitHost(t *testing.T) {
	for _, c := range []struct {
		in   string
		tls  bool
		name string
		port int
		ok   bool
	}{
		{"example.com", false, "example.com", 80, true},
		{"example.com", true, "example.com", 443, true},
		{"Example.com:8080", false, "Example.com", 8080, true},
		{"[::1]:8080", false, "::1", 8080, true},
		{"[::1]", true, "::1", 443, true},
		{"", false, "", 0, false},
		{"a/b", false, "", 0, false},
		{"a:b", false, "", 0, false},
		{"a:123456", false, "", 0, false},
		{":80", false, "", 0, false},
		{"[::1", false, "", 0, false},
	} {
		n, p, ok := SplitHost(c.in, c.tls)
		if n != c.name || p != c.port || ok != c.ok {
			t.Errorf("%q: %q %d %v", c.in, n, p, ok)
		}
	}
}

func TestRequestHeaderURL(t *testing.T) {
	u, _ := url.Parse("https://loop.example/registration")
	h, a, err := NewRequestHeader(testCreds, "POST", u, RequestOptions{Time: time.Unix(5, 0), Nonce: "n1", Ext: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if a.Port != 443 || a.Host != "loop.example" || a.TS != "5" {
		t.Fatalf("artifacts %+v", a)
	}
	p, err := ParseHeader(h)
	if err != nil || p.ID != testCreds.ID || p.TS != "5" || p.Nonce != "n1" || p.Ext != "x" {
		t.Fatalf("%q -> %+v %v", h, p, err)
	}
	if _, _, err := NewRequestHeader(testCreds, "GET", u, RequestOptions{Ext: `say "hi"`}); !errors.Is(err, ErrUnsignable) {
		t.Fatal("ext with a quote signed")
	}
	if _, _, err := NewRequestHeader(Credentials{ID: "a"}, "GET", u, RequestOptions{}); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("no key: %v", err)
	}
}

func TestHMACSumMatchesCryptoHMAC(t *testing.T) {
	for _, kl := range []int{0, 1, 32, 63, 64, 65, 200} {
		for _, ml := range []int{0, 1, 55, 56, 64, 300, 1024, 1025, 5000} {
			key, msg := make([]byte, kl), make([]byte, ml)
			for i := range key {
				key[i] = byte(i*7 + 1)
			}
			for i := range msg {
				msg[i] = byte(i * 13)
			}
			c := Credentials{Key: key}
			m := hmac.New(sha256.New, key)
			m.Write(msg)
			if !bytes.Equal(hmacSum(nil, &c, msg), m.Sum(nil)) {
				t.Fatalf("key %d msg %d differ", kl, ml)
			}
		}
	}
}

func TestMemoryNonceCacheBoundAndExpiry(t *testing.T) {
	ctx := context.Background()
	clk := &testClock{t: time.Unix(1000, 0)}
	c := NewMemoryNonceCache(100, clk.now)
	for i := range 1000 {
		fresh, err := c.Add(ctx, "id", "1", strings.Repeat("n", 1000)+strconv.Itoa(i), time.Minute)
		if err != nil || !fresh {
			t.Fatalf("%d: %v %v", i, fresh, err)
		}
		if c.Len() > 100 {
			t.Fatalf("cache grew to %d", c.Len())
		}
	}
	if fresh, _ := c.Add(ctx, "id", "1", strings.Repeat("n", 1000)+"999", time.Minute); fresh {
		t.Fatal("recent nonce forgotten")
	}
	if fresh, _ := c.Add(ctx, "id", "1", strings.Repeat("n", 1000)+"0", time.Minute); !fresh {
		t.Fatal("the oldest nonce was not evicted when full")
	}
	// After the ttl every entry is gone and the same nonce is fresh.
	clk.t = clk.t.Add(2 * time.Minute)
	if fresh, _ := c.Add(ctx, "id", "1", strings.Repeat("n", 1000)+"999", time.Minute); !fresh {
		t.Fatal("expired nonce still refused")
	}
	if c.Len() != 1 {
		t.Fatalf("expired entries kept: %d", c.Len())
	}
	// Distinct ids do not collide.
	if fresh, _ := c.Add(ctx, "other", "1", strings.Repeat("n", 1000)+"999", time.Minute); !fresh {
		t.Fatal("another id's nonce refused")
	}
}
