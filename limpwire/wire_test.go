package limpwire

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// vectors is testdata/vectors.json: hashes and a signed call computed
// with jsrsasign, the Angular SDK's JWT library.
type vectors struct {
	Hash50 struct {
		List []string `json:"list"`
		Hash string   `json:"hash"`
	} `json:"auth_hash_5_0_username"`
	Hash56 struct {
		List []string `json:"list"`
		Hash string   `json:"hash"`
	} `json:"auth_hash_5_6_admin_email"`
	Reauth struct {
		Token, Hash string
	} `json:"reauth_hash"`
	Verify struct {
		Key     string          `json:"key"`
		Payload json.RawMessage `json:"payload"`
		Frame   string          `json:"frame"`
	} `json:"call_conn_verify"`
}

func loadVectors(t testing.TB) vectors {
	t.Helper()
	b, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestVectorHashes(t *testing.T) {
	v := loadVectors(t)
	l := v.Hash50.List
	if got := AuthHash(HashLevel50, l[0], l[1], l[2], AnonToken); got != v.Hash50.Hash {
		t.Errorf("5.0 hash = %s, want %s", got, v.Hash50.Hash)
	}
	l = v.Hash56.List
	if l[3] != AnonToken {
		t.Fatalf("vector anon token %q", l[3])
	}
	if got := AuthHash(HashLevel56, l[0], l[1], l[2], l[3]); got != v.Hash56.Hash {
		t.Errorf("5.6 hash = %s, want %s", got, v.Hash56.Hash)
	}
	if got := ReauthHash(v.Reauth.Token); got != v.Reauth.Hash {
		t.Errorf("reauth hash = %s, want %s", got, v.Reauth.Hash)
	}
}

// verifyCall is the vector's call as a Call value.
func verifyCall() *Call {
	f := false
	return &Call{
		Endpoint: "conn/verify", Doc: map[string]any{"app": "peer"},
		SID: AnonSID, Token: AnonToken, Query: []any{}, AwaitAuth: &f,
		CallID: "s0a1yv", IssuedAt: 1700000000, Expires: 1700086400,
	}
}

func TestVectorSignedVerify(t *testing.T) {
	v := loadVectors(t)
	if v.Verify.Key != AnonToken {
		t.Fatalf("vector key %q", v.Verify.Key)
	}
	k := NewKey(v.Verify.Key)
	got, err := AppendSignedFrame(nil, k, verifyCall())
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != v.Verify.Frame {
		t.Fatalf("frame:\n got %s\nwant %s", got, v.Verify.Frame)
	}
	// The payload bytes are the vector's payload compacted, key order kept.
	p, _ := verifyCall().AppendPayload(nil)
	var want bytes.Buffer
	if err := json.Compact(&want, v.Verify.Payload); err != nil {
		t.Fatal(err)
	}
	if string(p) != want.String() {
		t.Errorf("payload:\n got %s\nwant %s", p, want.String())
	}
	// And back: parse, verify, decode at a time the token is valid.
	f, err := ParseFrame([]byte(v.Verify.Frame), 0)
	if err != nil || f.CallID != "s0a1yv" || !f.HasCallID {
		t.Fatalf("ParseFrame = %+v, %v", f, err)
	}
	payload, err := k.Verify(f.Token)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseCall(payload, time.Unix(1700000001, 0))
	if err != nil {
		t.Fatal(err)
	}
	if c.Endpoint != "conn/verify" || c.Doc["app"] != "peer" || c.SID != AnonSID || c.CallID != "s0a1yv" ||
		c.AwaitAuth == nil || *c.AwaitAuth || c.Expires != 1700086400 || !c.HasEndpoint || !c.HasSID {
		t.Errorf("decoded %+v", c)
	}
	// Expired one second after exp (PyJWT: exp < now fails, no leeway).
	if _, err := ParseCall(payload, time.Unix(1700086400, 0)); err != nil {
		t.Errorf("at exp: %v", err)
	}
	if _, err := ParseCall(payload, time.Unix(1700086401, 0)); !errors.Is(err, ErrExpired) {
		t.Errorf("after exp: %v, want ErrExpired", err)
	}
	// jwx agrees that the vector verifies under HS256.
	if _, err := jws.Verify(f.Token, jws.WithKey(jwa.HS256, []byte(AnonToken))); err != nil {
		t.Errorf("jwx: %v", err)
	}
}

func TestVerifyRejects(t *testing.T) {
	k := NewKey("secret")
	good, _ := k.Sign(&Call{Endpoint: "a/b", SID: AnonSID, CallID: "1"})
	hdr, rest, _ := strings.Cut(good, ".")
	payload, sig, _ := strings.Cut(rest, ".")
	enc := func(s string) string { return b64.EncodeToString([]byte(s)) }
	signJWX := func(alg jwa.SignatureAlgorithm, key any, hdrs map[string]any) string {
		h := jws.NewHeaders()
		for k, v := range hdrs {
			_ = h.Set(k, v)
		}
		tok, err := jws.Sign([]byte(`{"endpoint":"a/b"}`), jws.WithKey(alg, key, jws.WithProtectedHeaders(h)))
		if err != nil {
			t.Fatal(err)
		}
		return string(tok)
	}
	cases := []struct {
		name, token string
		want        error
	}{
		{"two segments", hdr + "." + payload, ErrMalformedToken},
		{"four segments", good + ".x", ErrMalformedToken},
		{"other key", func() string { s, _ := NewKey("other").Sign(&Call{Endpoint: "a/b"}); return s }(), ErrSignature},
		{"flipped payload", hdr + "." + enc(`{"endpoint":"a/c"}`) + "." + sig, ErrSignature},
		{"short signature", hdr + "." + payload + "." + sig[:20], ErrSignature},
		{"padded signature", hdr + "." + payload + "." + sig + "=", ErrSignature},
		{"alg none", enc(`{"alg":"none","typ":"JWT"}`) + "." + payload + ".", ErrAlgorithm},
		{"alg none no typ", enc(`{"alg":"none"}`) + "." + payload + ".", ErrAlgorithm},
		{"HS512", signJWX(jwa.HS512, []byte("secret"), nil), ErrAlgorithm},
		{"HS384 same key", signJWX(jwa.HS384, []byte("secret"), nil), ErrAlgorithm},
		{"crit", signJWX(jwa.HS256, []byte("secret"), map[string]any{"crit": []string{"exp"}}), ErrAlgorithm},
		{"other header bad key", signJWX(jwa.HS256, []byte("nope"), map[string]any{"kid": "x"}), ErrSignature},
		{"garbage", "!!.!!.!!", ErrMalformedToken},
		{"alg lower case", enc(`{"alg":"hs256","typ":"JWT"}`) + "." + payload + "." + sig, ErrAlgorithm},
		{"embedded jwk", signJWX(jwa.HS256, []byte("attacker"), map[string]any{"jwk": map[string]any{"kty": "oct", "k": b64.EncodeToString([]byte("attacker"))}}), ErrSignature},
	}
	for _, c := range cases {
		if _, err := k.Verify([]byte(c.token)); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
	// Another header with the right key and HS256 goes through jwx and passes.
	if p, err := k.Verify([]byte(signJWX(jwa.HS256, []byte("secret"), map[string]any{"kid": "x"}))); err != nil || string(p) != `{"endpoint":"a/b"}` {
		t.Errorf("jwx path: %q, %v", p, err)
	}
}

func TestParseCallClaims(t *testing.T) {
	now := time.Unix(1000, 0)
	cases := []struct {
		payload string
		want    error
	}{
		{`{"endpoint":"a/b","exp":999}`, ErrExpired},
		{`{"endpoint":"a/b","exp":"2000"}`, ErrClaims},
		{`{"endpoint":"a/b","nbf":1001}`, ErrNotYetValid},
		{`{"endpoint":"a/b","iat":"x"}`, ErrClaims},
		{`{"endpoint":"a/b","aud":"x"}`, ErrAudience},
		{`{"endpoint":"a/b","aud":null}`, ErrAudience},
		{`{"endpoint":5}`, ErrClaims},
		{`{"endpoint":"a/b","query":{}}`, ErrClaims},
		{`{"endpoint":"a/b","doc":[]}`, ErrClaims},
		{`[]`, ErrMalformedToken},
		{`{"endpoint":"a/b"} {}`, ErrMalformedToken},
		{`{"endpoint":"a/b","exp":1000,"nbf":1000,"iat":5}`, nil},
	}
	for _, c := range cases {
		_, err := ParseCall([]byte(c.payload), now)
		if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.payload, err, c.want)
		}
	}
	c, err := ParseCall([]byte(`{"doc":{}}`), now)
	if err != nil || c.HasEndpoint || c.HasSID {
		t.Errorf("missing claims: %+v %v", c, err)
	}
}

func TestJSStringify(t *testing.T) {
	cases := []struct {
		v    any
		want string
	}{
		{"a<b>&\u2028é\x01\n\"\\", `"a<b>&` + "\u2028é" + `\u0001\n\"\\"`},
		{"bad\xffutf8", "\"bad\ufffdutf8\""},
		{1e21, "1e+21"},
		{1e20, "100000000000000000000"},
		{123.456, "123.456"},
		{0.000001, "0.000001"},
		{1.5e-7, "1.5e-7"},
		{math.Copysign(0, -1), "0"},
		{-2.5, "-2.5"},
		{map[string]any{"b": 1, "a": []any{true, nil, "x"}}, `{"a":[true,null,"x"],"b":1}`},
	}
	for _, c := range cases {
		got, err := appendJSValue(nil, c.v)
		if err != nil || string(got) != c.want {
			t.Errorf("%#v: %s (%v), want %s", c.v, got, err, c.want)
		}
	}
}

func TestReplyRoundTrip(t *testing.T) {
	r := ErrorReply(ErrInvalidCreds, "abc", true)
	b, err := AppendReply(nil, r)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"status":403,"msg":"Wrong auth credentials.","args":{"call_id":"abc","code":"CORE_SESSION_INVALID_CREDS"}}`
	if string(b) != want {
		t.Errorf("reply %s", b)
	}
	back, err := ParseReply(b)
	if err != nil || back.Status != 403 || back.CallID() != "abc" || back.Code() != "CORE_SESSION_INVALID_CREDS" {
		t.Fatalf("%+v %v", back, err)
	}
	if e := back.Err(); !errors.Is(e, ErrInvalidCreds) || errors.Is(e, ErrInvalidSession) {
		t.Errorf("Err() = %v", e)
	}
	var le *Error
	if !errors.As(back.Err(), &le) || le.Status != 403 || le.Msg != "Wrong auth credentials." {
		t.Errorf("As: %+v", le)
	}
	for _, bad := range []string{`[]`, `{"status":"200","msg":"x"}`, `{"status":200}`, `{"status":1.5,"msg":""}`, `{"status":200,"msg":"","args":[]}`} {
		if _, err := ParseReply([]byte(bad)); !errors.Is(err, ErrMalformedReply) {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

func TestParseFrame(t *testing.T) {
	cases := []struct {
		in      string
		ok      bool
		callID  string
		hasCall bool
	}{
		{`{"token":"a.b.c","call_id":"x"}`, true, "x", true},
		{`{"token":"a.b.c","call_id":12}`, true, "12", true},
		{`{"token":"a.b.c","call_id":null}`, true, "", false},
		{`{"token":5,"call_id":"x"}`, false, "x", true},
		{`{"call_id":"x"}`, false, "x", true},
		{`not json`, false, "", false},
		{`{"token":"a"} x`, false, "", false},
	}
	for _, c := range cases {
		f, err := ParseFrame([]byte(c.in), 0)
		if (err == nil) != c.ok || f.CallID != c.callID || f.HasCallID != c.hasCall {
			t.Errorf("%s: %+v %v", c.in, f, err)
		}
		if err != nil && !errors.Is(err, ErrMalformedFrame) && !errors.Is(err, ErrMalformedToken) {
			t.Errorf("%s: %v not ErrMalformedFrame/Token", c.in, err)
		}
	}
	if _, err := ParseFrame(make([]byte, 11), 10); !errors.Is(err, ErrMalformedFrame) {
		t.Errorf("over limit: %v", err)
	}
}
