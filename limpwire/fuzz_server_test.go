package limpwire_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/appwire/appwire/internal/wsconn"
	"github.com/appwire/appwire/limpwire"
	"github.com/appwire/appwire/limpwire/limpwiretest"
)

// FuzzServerCall sends the reference server, on a verified connection,
// one signed call whose payload is the fuzzer's bytes, then a heartbeat.
// Whatever the payload, every message the server sends is a well-formed
// reply, the connection stays open (unless the call was conn/close), and
// the heartbeat is answered: no input breaks the server or the
// connection.
func FuzzServerCall(f *testing.F) {
	for _, s := range []string{
		`{"endpoint":"user/read","sid":"f00000000000000000000012","query":[{"$not":1}],"call_id":"a"}`,
		`{"endpoint":"item/create","sid":"x","doc":{"n":{"$add":1}},"call_id":"b"}`,
		`{"endpoint":"item/read","sid":"x","query":[[{"a":1},[{"b":{"$bet":[1]}}]],{"$group":[{"by":"n","count":-1}]}],"call_id":"c"}`,
		`{"endpoint":"file/upload","sid":"x","doc":{"attr":"f","index":"0","chunk":1,"total":1,"file":{"content":"1,2"}},"call_id":"d"}`,
		`{"endpoint":"watch/delete","sid":"x","query":[{"watch":"__all"}],"call_id":"e"}`,
		`{"endpoint":"session/auth","sid":"x","doc":{"email":"a@b.cd","hash":"x","groups":["0123456789abcdef01234567"]},"call_id":"f"}`,
		`{"endpoint":"item/update","sid":"x","query":[{"$soft":true}],"doc":{"l":{"$append":1,"$unique":true}},"call_id":"g"}`,
		`{"endpoint":"conn/close"}`, `{}`, `[]`, `{"endpoint":"a/b/c","exp":1e300}`,
	} {
		f.Add([]byte(s))
	}
	srv := limpwiretest.Start(f, limpwire.Options{QuotaIP: -1, QuotaAnon: -1, QuotaAuth: -1})
	key := limpwire.NewKey(limpwire.AnonToken)
	hb, _ := limpwire.AppendSignedFrame(nil, key, &limpwire.Call{Endpoint: "heart/beat", SID: limpwire.AnonSID, CallID: "hb"})
	f.Fuzz(func(t *testing.T, payload []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		ws, err := wsconn.Dial(ctx, srv.URL, wsconn.DialOptions{ReadLimit: 8 << 20})
		if err != nil {
			t.Fatal(err)
		}
		defer ws.CloseNow()
		verify, _ := limpwire.AppendSignedFrame(nil, key, &limpwire.Call{Endpoint: "conn/verify", SID: limpwire.AnonSID, CallID: "v"})
		_, _, _ = ws.ReadMessage(ctx, nil) // greeting
		_ = ws.WriteText(ctx, verify)
		if _, _, err := ws.ReadMessage(ctx, nil); err != nil {
			t.Fatal(err)
		}
		frame := limpwire.AppendFrame(nil, key.AppendSign(nil, payload), "fz")
		_ = ws.WriteText(ctx, frame)
		_ = ws.WriteText(ctx, hb)
		for {
			_, msg, err := ws.ReadMessage(ctx, nil)
			if err != nil {
				if strings.Contains(string(payload), "conn/close") {
					return
				}
				t.Fatalf("connection lost after %q: %v", payload, err)
			}
			r, err := limpwire.ParseReply(msg)
			if err != nil {
				t.Fatalf("server sent %q: %v", msg, err)
			}
			if r.CallID() == "hb" && r.Code() == limpwire.CodeHeartbeat {
				return
			}
		}
	})
}
