package limpwire

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"
)

func seedFrames(f *testing.F) {
	v := loadVectors(f)
	f.Add([]byte(v.Verify.Frame))
	f.Add([]byte(`{"token":"a.b.c","call_id":12}`))
	f.Add([]byte(`{"token":"x"}`))
	f.Add([]byte(`{"call_id":"only"}`))
	f.Add([]byte(`[1,2]`))
}

// FuzzParseFrame: ParseFrame never panics; a frame it accepts keeps its
// token and call_id through AppendFrame and ParseFrame again; a refusal
// is one of the two frame sentinels.
func FuzzParseFrame(f *testing.F) {
	seedFrames(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := ParseFrame(b, 1<<16)
		if fast, ok := parseSDKFrame(b); ok {
			slow, err := parseFrameJSON(b)
			if err != nil || !bytes.Equal(slow.Token, fast.Token) || slow.CallID != fast.CallID || slow.HasCallID != fast.HasCallID {
				t.Fatalf("fast path %+v, encoding/json %+v %v", fast, slow, err)
			}
		}
		if err != nil {
			if !(isErr(err, ErrMalformedFrame) || isErr(err, ErrMalformedToken)) {
				t.Fatalf("error %v is not a frame sentinel", err)
			}
			return
		}
		if !json.Valid(b) {
			t.Fatalf("accepted invalid JSON %q", b)
		}
		if strings.ContainsAny(string(fr.Token), "\"\\\x00\n") || !utf8Valid(fr.Token) {
			return // AppendFrame writes tokens raw: only JWS characters
		}
		again, err := ParseFrame(AppendFrame(nil, fr.Token, fr.CallID), 1<<16)
		if err != nil || !bytes.Equal(again.Token, fr.Token) || again.CallID != fr.CallID {
			t.Fatalf("round trip: %+v %v, want %+v", again, err, fr)
		}
	})
}

func utf8Valid(b []byte) bool { return json.Valid(append(append([]byte{'"'}, b...), '"')) }

func isErr(err, target error) bool {
	pe, ok := err.(*ParseError)
	return ok && pe.Err == target
}

// FuzzVerify: Key.Verify never accepts a token jwx (HS256 pinned, same
// key) refuses, and returns the payload jwx returns; a token it signs
// verifies with it and with jwx, and with no other key.
func FuzzVerify(f *testing.F) {
	v := loadVectors(f)
	fr, _ := ParseFrame([]byte(v.Verify.Frame), 0)
	f.Add(fr.Token, AnonToken, []byte(`{"endpoint":"a/b"}`))
	f.Add([]byte("eyJhbGciOiJub25lIn0.eyJ9."), "k", []byte(`{}`))
	f.Add([]byte("eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.e30.AAAA"), "k", []byte(`{"a":[1,{"b":null}]}`))
	f.Fuzz(func(t *testing.T, token []byte, secret string, payload []byte) {
		k := NewKey(secret)
		got, err := k.Verify(token)
		if err == nil {
			want, jerr := jws.Verify(token, jws.WithKey(jwa.HS256, []byte(secret)))
			if jerr != nil {
				t.Fatalf("accepted %q that jwx refuses: %v", token, jerr)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("payload %q, jwx %q", got, want)
			}
		}
		signed := k.AppendSign(nil, payload)
		back, err := k.Verify(signed)
		if err != nil || !bytes.Equal(back, payload) {
			t.Fatalf("own token: %q %v", back, err)
		}
		if want, jerr := jws.Verify(signed, jws.WithKey(jwa.HS256, []byte(secret))); jerr != nil || !bytes.Equal(want, payload) {
			t.Fatalf("jwx refuses our token: %v", jerr)
		}
		if _, err := NewKey(secret + "x").Verify(signed); err == nil {
			t.Fatal("another key verifies")
		}
	})
}

// FuzzParseCall: ParseCall never panics; a call it accepts encodes
// (AppendPayload) to a payload that parses to the same call.
func FuzzParseCall(f *testing.F) {
	p, _ := verifyCall().AppendPayload(nil)
	f.Add(p)
	f.Add([]byte(`{"endpoint":"x","exp":1e300}`))
	f.Add([]byte(`{"query":[{"$or":[1,"a"]}],"doc":{"k":{"n":-0.5e-9}}}`))
	now := time.Unix(1700000001, 0)
	f.Fuzz(func(t *testing.T, payload []byte) {
		c, err := ParseCall(payload, now)
		if err != nil {
			return
		}
		b, err := c.AppendPayload(nil)
		if err != nil {
			t.Fatalf("cannot encode an accepted call: %v", err)
		}
		c2, err := ParseCall(b, now)
		if err != nil {
			t.Fatalf("re-encoded call %s refused: %v", b, err)
		}
		if c2.Endpoint != c.Endpoint || c2.SID != c.SID || c2.CallID != c.CallID || !reflect.DeepEqual(norm(c2.Query), norm(c.Query)) || !reflect.DeepEqual(norm(c2.Doc), norm(c.Doc)) {
			t.Fatalf("round trip changed the call:\n%+v\n%+v", c, c2)
		}
	})
}

// norm maps nil and empty containers together (AppendPayload writes nil
// as empty).
func norm(v any) any {
	switch v := v.(type) {
	case []any:
		if len(v) == 0 {
			return nil
		}
	case map[string]any:
		if len(v) == 0 {
			return nil
		}
	}
	return v
}

// FuzzContent: decodeContent accepts exactly what EncodeContent writes.
func FuzzContent(f *testing.F) {
	f.Add("0,1,255")
	f.Add("")
	f.Add("256")
	f.Add("01,2")
	f.Fuzz(func(t *testing.T, s string) {
		b, err := decodeContent(s)
		if err != nil {
			return
		}
		if EncodeContent(b) != s && !strings.Contains(s, ",0") && !strings.HasPrefix(s, "0") {
			t.Fatalf("%q decodes to %v which encodes to %q", s, b, EncodeContent(b))
		}
		b2, err := decodeContent(EncodeContent(b))
		if err != nil || !bytes.Equal(b, b2) {
			t.Fatalf("round trip of %v: %v %v", b, b2, err)
		}
	})
}
