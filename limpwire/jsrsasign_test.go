package limpwire_test

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/appwire/appwire/internal/nodetest"
	"github.com/appwire/appwire/limpwire"
)

// jsScript signs and hashes as ng-limp 6.0 does, with jsrsasign.
const jsScript = `
const rs = require('jsrsasign');
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const header = JSON.stringify({alg: 'HS256', typ: 'JWT'});
const sign = (payload, key) => rs.KJUR.jws.JWS.sign('HS256', header, JSON.stringify(payload), {utf8: key});
const out = {calls: [], verified: [], refused: [], hashes: []};
for (const c of input.calls) {
  const payload = JSON.parse(c.payload); // keeps the member order given
  out.calls.push({payload: JSON.stringify(payload), token: sign(payload, c.key)});
}
for (const t of input.goTokens) {
  out.verified.push(rs.KJUR.jws.JWS.verifyJWT(t.token, {utf8: t.key}, {alg: ['HS256'], verifyAt: t.at}));
  out.refused.push(rs.KJUR.jws.JWS.verifyJWT(t.token, {utf8: t.key + 'x'}, {alg: ['HS256'], verifyAt: t.at}));
}
for (const h of input.hashes) {
  out.hashes.push(sign(h.payload, h.key).split('.')[1]);
}
process.stdout.write(JSON.stringify(out));
`

// TestJsrsasign checks the wire layer against jsrsasign, the JWT library
// of the Angular SDK: a call it signs is the call this package signs,
// byte for byte, and verifies here; a token signed here verifies there
// (and not with another key); both compute the same auth and reauth
// hashes for the vectors and for values with characters JSON escapes.
func TestJsrsasign(t *testing.T) {
	node := nodetest.Require(t, "jsrsasign")
	f := false
	calls := []*limpwire.Call{
		{Endpoint: "conn/verify", Doc: map[string]any{"app": "peer"}, SID: limpwire.AnonSID, Token: limpwire.AnonToken,
			Query: []any{}, AwaitAuth: &f, CallID: "s0a1yv", IssuedAt: 1700000000, Expires: 1700086400},
		{Endpoint: "item/read", SID: "0123456789abcdef01234567", Token: "tok-\u00e9", AwaitAuth: &f, CallID: "q1",
			Query: []any{map[string]any{"a<b>": "x&y\u2028\u00e9\n\t\"\\\x01", "n": map[string]any{"$bet": []any{1.5, 1e21, 1e-7, math.Copysign(0, -1), 123456789.0}}},
				[]any{map[string]any{"b": true}, map[string]any{"c": nil}}},
			Doc:      map[string]any{"k": []any{"\U0001F600", 0.1}},
			IssuedAt: 1700000000, Expires: 1700086400},
	}
	keys := []string{limpwire.AnonToken, "HoK6wYyeceJCNxL_6v2SsR0OUt3QXlZQyTD5GTNm1Xc"}
	type jsCall struct {
		Payload string `json:"payload"`
		Key     string `json:"key"`
	}
	type goToken struct {
		Token string `json:"token"`
		Key   string `json:"key"`
		At    int64  `json:"at"`
	}
	type hash struct {
		Payload map[string]any `json:"payload"`
		Key     string         `json:"key"`
	}
	in := struct {
		Calls    []jsCall  `json:"calls"`
		GoTokens []goToken `json:"goTokens"`
		Hashes   []hash    `json:"hashes"`
	}{}
	var payloads []string
	for i, c := range calls {
		p, err := c.AppendPayload(nil)
		if err != nil {
			t.Fatal(err)
		}
		payloads = append(payloads, string(p))
		in.Calls = append(in.Calls, jsCall{string(p), keys[i]})
		tok, _ := limpwire.NewKey(keys[i]).Sign(c)
		in.GoTokens = append(in.GoTokens, goToken{tok, keys[i], 1700000100})
	}
	type hashCase struct {
		level                     limpwire.HashLevel
		attr, val, password, anon string
	}
	hashCases := []hashCase{
		{limpwire.HashLevel50, "username", "the-username-here", "the-password-here", ""},
		{limpwire.HashLevel56, "email", "ADMIN@LIMP.MASAAR.COM", "__ADMIN", limpwire.AnonToken},
		{limpwire.HashLevel56, "phone", "+9627\u00e9", "p\"a\\s\u2028s<>", limpwire.AnonToken},
	}
	for _, h := range hashCases {
		list := []any{h.attr, h.val, h.password}
		if h.level == limpwire.HashLevel56 {
			list = append(list, h.anon)
		}
		in.Hashes = append(in.Hashes, hash{map[string]any{"hash": list}, h.password})
	}
	reauthToken := "HoK6wYyeceJCNxL_6v2SsR0OUt3QXlZQyTD5GTNm1Xc"
	in.Hashes = append(in.Hashes, hash{map[string]any{"token": reauthToken}, reauthToken})

	stdin, _ := json.Marshal(in)
	var out struct {
		Calls []struct {
			Payload string `json:"payload"`
			Token   string `json:"token"`
		} `json:"calls"`
		Verified []bool   `json:"verified"`
		Refused  []bool   `json:"refused"`
		Hashes   []string `json:"hashes"`
	}
	if err := json.Unmarshal(node.Run(t, jsScript, stdin), &out); err != nil {
		t.Fatal(err)
	}
	for i, c := range out.Calls {
		if c.Payload != payloads[i] {
			t.Errorf("call %d: JSON.stringify wrote\n%s\nthis package\n%s", i, c.Payload, payloads[i])
		}
		goTok := in.GoTokens[i].Token
		if c.Token != goTok {
			t.Errorf("call %d: jsrsasign token\n%s\nours\n%s", i, c.Token, goTok)
		}
		p, err := limpwire.NewKey(keys[i]).Verify([]byte(c.Token))
		if err != nil {
			t.Errorf("call %d: jsrsasign's token does not verify here: %v", i, err)
		} else if _, err := limpwire.ParseCall(p, time.Unix(1700000100, 0)); err != nil {
			t.Errorf("call %d: %v", i, err)
		}
		if !out.Verified[i] || out.Refused[i] {
			t.Errorf("call %d: jsrsasign verify = %v with the key, %v with another", i, out.Verified[i], out.Refused[i])
		}
	}
	for i, h := range hashCases {
		if got := limpwire.AuthHash(h.level, h.attr, h.val, h.password, h.anon); got != out.Hashes[i] {
			t.Errorf("hash %d: ours %s, jsrsasign %s", i, got, out.Hashes[i])
		}
	}
	if got := limpwire.ReauthHash(reauthToken); got != out.Hashes[len(hashCases)] {
		t.Errorf("reauth hash: ours %s, jsrsasign %s", got, out.Hashes[len(hashCases)])
	}
	v := struct{ want50, want56 string }{
		"eyJoYXNoIjpbInVzZXJuYW1lIiwidGhlLXVzZXJuYW1lLWhlcmUiLCJ0aGUtcGFzc3dvcmQtaGVyZSJdfQ",
		"eyJoYXNoIjpbImVtYWlsIiwiQURNSU5ATElNUC5NQVNBQVIuQ09NIiwiX19BRE1JTiIsIl9fQU5PTl9UT0tFTl9mMDAwMDAwMDAwMDAwMDAwMDAwMDAwMTIiXX0",
	}
	if out.Hashes[0] != v.want50 || out.Hashes[1] != v.want56 {
		t.Errorf("jsrsasign does not reproduce the vectors: %s %s", out.Hashes[0], out.Hashes[1])
	}
}
