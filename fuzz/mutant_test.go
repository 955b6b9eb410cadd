package fuzz

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/appwire/appwire/afbproto"
	"github.com/appwire/appwire/internal/wsconn"
)

// brokenBinder is a deliberately broken peer: it answers every call with
// success, and hands every malformed frame to onMalformed instead of
// closing with 1008.
func brokenBinder(onMalformed func(ctx context.Context, c *wsconn.Conn)) http.Handler {
	ok := afbproto.AppendReply(nil, &afbproto.Reply{Status: afbproto.StatusSuccess}, afbproto.DialectV6)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api" {
			w.Write(ok)
			return
		}
		c, err := wsconn.Upgrade(w, r, wsconn.UpgradeOptions{Protocol: afbproto.Subprotocol})
		if err != nil {
			return
		}
		defer c.CloseNow()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var f afbproto.Frame
		for {
			_, msg, err := c.ReadMessage(ctx, nil)
			if err != nil {
				return
			}
			if f.Parse(msg) != nil {
				onMalformed(ctx, c)
				continue
			}
			if f.Type == afbproto.FrameCall {
				rep := afbproto.Frame{Type: afbproto.FrameReplyOK, ID: f.ID, Payload: ok}
				if c.WriteText(ctx, rep.Append(nil)) != nil {
					return
				}
			}
		}
	})
}

func TestAFBFindsReplyToMalformedFrame(t *testing.T) {
	url := serveLoopback(t, brokenBinder(func(ctx context.Context, c *wsconn.Conn) {
		_ = c.WriteText(ctx, []byte(`[4,"0",{"jtype":"afb-reply","request":{"status":"invalid-request"}}]`))
	}), nil)
	rep, err := AFB(testCtx(t), url, AFBOptions{Options: Options{MaxInputs: 100, Seed: 7, InputTimeout: time.Second}, NoHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Failed() || rep.PeerDown {
		t.Fatalf("no violation found, or peer down: %+v", rep)
	}
	replied := false
	for _, v := range rep.Violations {
		if v.Input == nil || !strings.Contains(v.Rule, "1008") {
			t.Fatalf("unexpected violation %s", v.String())
		}
		replied = replied || strings.HasPrefix(v.Got, "a reply")
		// The violation is reproducible from the seed and index alone.
		again := genWS(7, v.Input.Index, "hello", "ping")
		if string(again.Wire) != string(v.Input.Wire) {
			t.Fatalf("input #%d not reproducible", v.Input.Index)
		}
	}
	if !replied {
		t.Error("the reply to a malformed frame was not reported")
	}
}

func TestAFBFindsDeadPeer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second}
	srv.Handler = brokenBinder(func(ctx context.Context, c *wsconn.Conn) {
		once.Do(func() { go srv.Close() }) // the peer "crashes" on its first malformed frame
		c.CloseNow()
	})
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close(); <-done })

	rep, err := AFB(testCtx(t), "ws://"+ln.Addr().String()+"/api", AFBOptions{Options: Options{MaxInputs: 1000, Seed: 3, InputTimeout: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.PeerDown || !rep.Failed() || rep.Inputs >= 1000 {
		t.Fatalf("dead peer not reported: %+v", rep)
	}
	last := rep.Violations[len(rep.Violations)-1]
	if len(last.Batch) != 2 || !strings.Contains(last.Rule, "stays up") {
		t.Fatalf("last violation %s", last.String())
	}
}

func TestAFBUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	if _, err := AFB(testCtx(t), "http://"+addr+"/api", AFBOptions{Options: Options{MaxInputs: 1}}); err == nil {
		t.Fatal("no error for a dead target")
	}
	for _, bad := range []string{"ftp://x:1/api", "http://127.0.0.1/api", "http://127.0.0.1:1", "http://127.0.0.1:1/api"} {
		if _, err := AFB(testCtx(t), bad, AFBOptions{Options: Options{MaxInputs: 1}, Probe: "noslash"}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// The generator is deterministic and reaches every expectation class.
func TestGenerator(t *testing.T) {
	seen := map[expect]int{}
	muts := map[string]bool{}
	for i := range 2000 {
		a, b := genWS(42, i, "hello", "ping"), genWS(42, i, "hello", "ping")
		if string(a.Wire) != string(b.Wire) || a.expect != b.expect {
			t.Fatalf("input %d differs between two generations", i)
		}
		seen[a.expect]++
		muts[a.Mutation] = true
	}
	for e := expectNothing; e <= expectIgnored; e++ {
		if seen[e] == 0 {
			t.Errorf("no input expects %s", expectText[e])
		}
	}
	if len(muts) < len(mutations) {
		t.Errorf("only %d mutations used", len(muts))
	}
	r := &runner{opts: AFBOptions{Options: Options{Seed: 42}, UUID: DefaultUUID}.withDefaults(), host: "h:1", rootPath: "/api", probeAPI: "hello", probeVerb: "ping"}
	kinds := map[string]bool{}
	for i := range 500 {
		in := r.genHTTP(i)
		if !strings.Contains(string(in.Message), "X-Afb-Uuid: appwire-fuzz\r\n") {
			t.Fatalf("input %d leaves the fuzz session: %q", i, in.Message)
		}
		kinds[in.Mutation] = true
	}
	if len(kinds) != len(httpCases) {
		t.Errorf("only %d HTTP cases used", len(kinds))
	}
}
