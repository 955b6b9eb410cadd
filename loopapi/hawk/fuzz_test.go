package hawk

import (
	"bytes"
	"context"
	"crypto/hmac"
	"errors"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

var headerSeeds = []string{
	`Hawk id="dh37fgj492je", ts="1353832234", nonce="j4h3g2", ext="some-app-ext-data", mac="6R4rV5iE+NPoym+WwjeHzjAGXUtLNIxmo1vpMofpLAE="`,
	`Hawk id="a", ts="1", nonce="n", hash="h=", mac="m", app="x", dlg="y"`,
	`hawk id="a",ts="1",nonce="n",mac="m",`, `Hawk`, `Hawk `, `Hawk MALFORMED`, `Basic Zm9v`, `Hawk id="a", id="b"`,
	`Hawk id="a" ts="1"`, `Hawk foo="x"`, `Hawk id="a\"b"`, `Hawk id=""`, "Hawk id=\"a\"\t,\tmac=\"b\"", `Hawk junk id="a"`,
}

// jsParse is the hawk library's parseAuthorizationHeader transcribed with
// regular expressions (RE2 matches as JavaScript here: leftmost-first,
// greedy), the oracle for the hand-written scanner.
var (
	jsHeaderRE    = regexp.MustCompile(`^(\w+)(?:[ \t\n\v\f\r]+([^\n\r]*))?$`)
	jsAttributeRE = regexp.MustCompile(`(\w+)="([^"\\]*)"[ \t\n\v\f\r]*(?:,[ \t\n\v\f\r]*|$)`)
	jsValueRE     = regexp.MustCompile(`^[ \w\!#\$%&'\(\)\*\+,\-\.\/\:;<\=>\?@\[\]\^` + "`" + `\{\|\}~]+$`)
)

func jsParse(s string) (map[string]string, string, int) {
	if s == "" {
		return nil, "", 401
	}
	if len(s) > MaxHeaderLen {
		return nil, "Header length too long", 400
	}
	m := jsHeaderRE.FindStringSubmatch(s)
	if m == nil {
		return nil, "Invalid header syntax", 400
	}
	if !strings.EqualFold(m[1], "hawk") {
		return nil, "", 401
	}
	if m[2] == "" {
		return nil, "Invalid header syntax", 400
	}
	attrs := map[string]string{}
	msg := ""
	left := jsAttributeRE.ReplaceAllStringFunc(m[2], func(match string) string {
		sm := jsAttributeRE.FindStringSubmatch(match)
		name, value := sm[1], sm[2]
		if indexOf(requestKeys, name) < 0 {
			msg = "Unknown attribute: " + name
			return "undefined"
		}
		if !jsValueRE.MatchString(value) {
			msg = "Bad attribute value: " + name
			return "undefined"
		}
		if _, dup := attrs[name]; dup {
			msg = "Duplicate attribute: " + name
			return "undefined"
		}
		attrs[name] = value
		return ""
	})
	if left != "" {
		if msg == "" {
			msg = "Bad header format"
		}
		return nil, msg, 400
	}
	return attrs, "", 0
}

// FuzzParseHeader: the parser never panics, agrees with the library's
// regular expressions on every input (accept/reject, status, message,
// attributes), and a parsed valid header re-serializes to a string that
// parses to the same header.
func FuzzParseHeader(f *testing.F) {
	for _, s := range headerSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParseHeader(s)
		want, wantMsg, wantStatus := jsParse(s)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("%q: untyped error %v", s, err)
			}
			if e.Status != wantStatus || e.Message != wantMsg {
				t.Fatalf("%q: got %d %q, library %d %q", s, e.Status, e.Message, wantStatus, wantMsg)
			}
			if len(s) > MaxHeaderLen && !errors.Is(err, ErrBadHeader) {
				t.Fatalf("over-long header: %v", err)
			}
			return
		}
		if want == nil {
			t.Fatalf("%q: accepted, library says %d %q", s, wantStatus, wantMsg)
		}
		got := map[string]string{}
		for k, v := range map[string]string{"id": h.ID, "ts": h.TS, "nonce": h.Nonce, "hash": h.Hash, "ext": h.Ext, "mac": h.MAC, "app": h.App, "dlg": h.Dlg} {
			if v != "" {
				got[k] = v
			}
		}
		if len(got) != len(want) {
			t.Fatalf("%q: attributes %v, library %v", s, got, want)
		}
		for k, v := range want {
			if got[k] != v {
				t.Fatalf("%q: attributes %v, library %v", s, got, want)
			}
		}
		if !h.Valid() {
			return
		}
		again, err := ParseHeader(h.String())
		if err != nil || again != h {
			t.Fatalf("%q -> %q -> %+v, %v", s, h.String(), again, err)
		}
	})
}

// FuzzServerAuthorization: never panics; a parsed value re-serializes to
// one that parses the same.
func FuzzServerAuthorization(f *testing.F) {
	f.Add(`Hawk mac="abc=", hash="def=", ext="x y"`)
	f.Add(`Hawk mac="abc="`)
	f.Add(`Hawk ts="1", tsm="x", error="Stale timestamp"`)
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseServerAuthorization(s)
		if err != nil {
			return
		}
		if a.MAC == "" || (a.Ext != "" && !validValue(a.Ext)) {
			return
		}
		b, err := ParseServerAuthorization(a.String())
		if err != nil || a != b {
			t.Fatalf("%q -> %q -> %+v %v", s, a.String(), b, err)
		}
		ParseStaleChallenge(testCreds, s)
	})
}

// FuzzAuthenticate drives request validation two ways. With sign set the
// request is signed by this package's client from fuzzed parts and must
// verify, once (the replay is refused). Otherwise the fuzzed header is
// sent as is. Either way: no panic, every failure is an *Error with status
// 400 or 401, a stale answer carries a timestamp MAC that verifies, and an
// accepted request's MAC recomputes from its artifacts and its timestamp
// is within the skew.
func FuzzAuthenticate(f *testing.F) {
	f.Add(true, "GET", "/calls?version=1", "loop.example", 5000, "", "n1", int64(0), headerSeeds[0])
	f.Add(true, "POST", "/call-url", "LOOP.example", 443, "e x", "abc", int64(-61), "")
	f.Add(false, "GET", "/resource/1?b=1&a=2", "example.com", 8000, "", "", int64(0), headerSeeds[0])
	f.Add(false, "POST", "/", "h", 1, "", "", int64(0), `Hawk id="dh37fgj492je", ts="1400000000", nonce="x", mac="y"`)
	f.Fuzz(func(t *testing.T, sign bool, method, resource, host string, port int, ext, nonce string, skew int64, header string) {
		now := time.Unix(1400000000, 0)
		s := NewServer(fixedLookup{testCreds.ID: testCreds}.get, Options{Now: func() time.Time { return now }})
		if port < 0 || port > 65535 {
			port &= 0xffff
		}
		req := Request{Method: method, Resource: resource, Host: host, Port: port, Authorization: header}
		if sign {
			u := &url.URL{Scheme: "http", Host: "x", Path: "/"}
			h, a, err := NewRequestHeader(testCreds, method, u, RequestOptions{Time: now.Add(time.Duration(skew%1000) * time.Second), Nonce: nonce, Ext: ext})
			if err != nil {
				return
			}
			req.Authorization = h
			a.Resource, a.Host, a.Port = resource, host, port
			if resource == "" || resource[0] != '/' || host == "" {
				return
			}
			// Re-sign over the fuzzed request line.
			hd, _ := ParseHeader(h)
			hd.MAC, _ = RequestMAC(testCreds, a)
			req.Authorization = hd.String()
		}
		auth, err := s.AuthenticateRequest(context.Background(), req)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || (e.Status != 400 && e.Status != 401) {
				t.Fatalf("%+v: %v", req, err)
			}
			if errors.Is(err, ErrStaleTimestamp) {
				if st, ok, err := ParseStaleChallenge(testCreds, e.WWWAuthenticate()); err != nil || !ok || !st.Equal(now) {
					t.Fatalf("stale challenge %q: %v %v %v", e.WWWAuthenticate(), st, ok, err)
				}
			}
			if sign && -60 <= skew%1000 && skew%1000 <= 60 && !errors.Is(err, ErrBadHeader) && !errors.Is(err, ErrMissingAttributes) {
				t.Fatalf("signed request refused: %+v: %v", req, err)
			}
			return
		}
		mac, _ := RequestMAC(auth.Credentials, auth.Artifacts)
		if mac != auth.MAC {
			t.Fatalf("accepted MAC %q does not recompute (%q)", auth.MAC, mac)
		}
		ts, ok := parseTS(auth.Artifacts.TS)
		if !ok || ts < now.Unix()-60 || ts > now.Unix()+60 {
			t.Fatalf("accepted timestamp %q", auth.Artifacts.TS)
		}
		if _, err := s.AuthenticateRequest(context.Background(), req); !errors.Is(err, ErrInvalidNonce) {
			t.Fatalf("replay answered %v", err)
		}
	})
}

// FuzzHMACSum: the allocation-free HMAC equals crypto/hmac for every key
// and message length, both algorithms.
func FuzzHMACSum(f *testing.F) {
	f.Add([]byte("key"), []byte("msg"), false)
	f.Add(make([]byte, 64), make([]byte, 1024), false)
	f.Add(make([]byte, 65), make([]byte, 1025), true)
	f.Fuzz(func(t *testing.T, key, msg []byte, sha1 bool) {
		c := Credentials{Key: key, Algorithm: "sha256"}
		if sha1 {
			c.Algorithm = "sha1"
		}
		m := hmac.New(c.hashFunc(), key)
		m.Write(msg)
		if want, got := m.Sum(nil), hmacSum(nil, &c, msg); !bytes.Equal(want, got) {
			t.Fatalf("key %x msg %x: %x, crypto/hmac %x", key, msg, got, want)
		}
	})
}
