package loopapi_test

import (
	"context"
	"testing"
	"time"

	"github.com/appwire/appwire/internal/redistest"
	"github.com/appwire/appwire/internal/testserver"
	"github.com/appwire/appwire/loopapi"
	"github.com/appwire/appwire/loopapi/loopapitest"
	"github.com/appwire/appwire/loopapi/redisstore"
	"github.com/appwire/appwire/simplepush"
)

// startPush runs a real SimplePush server and returns its WebSocket URL.
func startPush(t *testing.T) string {
	t.Helper()
	sp, err := simplepush.NewServer(simplepush.Options{})
	if err != nil {
		t.Fatal(err)
	}
	u := testserver.Serve(t, sp, func(context.Context) { _ = sp.Close() })
	return "ws" + u[len("http"):] + "/"
}

// seedFlow is the whole flow of the seed over real sockets: the callee
// registers with SimplePush and Loop and makes a call URL, a caller
// calls it, the callee is woken through SimplePush, lists the call with
// the version it was woken with, and both parties reach connected.
func seedFlow(t *testing.T, loopURL, calleeLoopURL string) {
	ctx := testserver.Ctx(t)
	ua, err := simplepush.Dial(ctx, startPush(t), simplepush.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer ua.Close()
	endpoint, err := ua.Register(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	callee, err := loopapi.NewClient(calleeLoopURL, loopapi.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := callee.Register(ctx, map[string]string{loopapi.TopicCalls: endpoint}); err != nil {
		t.Fatal(err)
	}
	if callee.SessionToken() == "" {
		t.Fatal("no session token after registration")
	}
	link, err := callee.CreateCallURL(ctx, loopapi.CallURLRequest{CallerID: "alice@example.com", Issuer: "Bob"})
	if err != nil {
		t.Fatal(err)
	}
	if len(link.CallToken) != 11 {
		t.Fatalf("call token %q is not 11 characters", link.CallToken)
	}
	caller, err := loopapi.NewClient(loopURL, loopapi.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	info, err := caller.CallURLInfo(ctx, link.CallToken)
	if err != nil || info.CalleeFriendlyName != "Bob" {
		t.Fatalf("call url info %+v, %v", info, err)
	}
	placed, err := caller.Call(ctx, link.CallToken, loopapi.CallRequest{CallType: loopapi.CallTypeAudioVideo})
	if err != nil {
		t.Fatal(err)
	}
	var woken simplepush.Notification
	select {
	case woken = <-ua.Notifications():
	case <-time.After(10 * time.Second):
		t.Fatal("the callee was not woken through SimplePush")
	}
	calls, err := callee.Calls(ctx, int64(woken.Version))
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 1 || calls[0].CallID != placed.CallID || calls[0].CallToken != link.CallToken {
		t.Fatalf("calls since version %d: %+v, want call %s", woken.Version, calls, placed.CallID)
	}
	later, err := callee.Calls(ctx, int64(woken.Version)+1)
	if err != nil || len(later) != 0 {
		t.Fatalf("calls since a later version: %+v, %v", later, err)
	}
	in := calls[0]

	callerWS, err := loopapi.DialCall(ctx, placed.ProgressURL, placed.CallID, placed.WebsocketToken)
	if err != nil {
		t.Fatal(err)
	}
	defer callerWS.Close()
	if callerWS.State() != loopapi.StateInit {
		t.Fatalf("caller hello state %s", callerWS.State())
	}
	calleeWS, err := loopapi.DialCall(ctx, in.ProgressURL, in.CallID, in.WebsocketToken)
	if err != nil {
		t.Fatal(err)
	}
	defer calleeWS.Close()
	for _, ws := range []*loopapi.CallConn{callerWS, calleeWS} {
		if err := ws.Await(ctx, loopapi.StateAlerting); err != nil {
			t.Fatal(err)
		}
	}
	if err := calleeWS.Accept(ctx); err != nil {
		t.Fatal(err)
	}
	for _, ws := range []*loopapi.CallConn{callerWS, calleeWS} {
		if err := ws.Await(ctx, loopapi.StateConnecting); err != nil {
			t.Fatal(err)
		}
		if err := ws.MediaUp(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, ws := range []*loopapi.CallConn{callerWS, calleeWS} {
		if err := ws.Await(ctx, loopapi.StateConnected); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSeedFlowMemory(t *testing.T) {
	srv := loopapitest.Start(t, loopapi.Options{})
	seedFlow(t, srv.URL, srv.URL)
}

func TestSeedFlowRedis(t *testing.T) {
	rs := redistest.Start(t, redistest.Options{})
	st, err := redisstore.New(rs.Client(t), redisstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	srv := loopapitest.Start(t, loopapi.Options{Store: st})
	seedFlow(t, srv.URL, srv.URL)
}

// TestSeedFlowTwoServersOneRedis places the call on one server and has
// the callee list and answer it on another sharing the Redis store and
// secrets; progress crosses servers through Redis pub/sub.
func TestSeedFlowTwoServersOneRedis(t *testing.T) {
	rs := redistest.Start(t, redistest.Options{})
	rdb := rs.Client(t)
	secret := []byte("0123456789abcdef")
	var urls []string
	for range 2 {
		st, err := redisstore.New(rdb, redisstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		srv := loopapitest.Start(t, loopapi.Options{Store: st, HawkIDSecret: secret, UserMacSecret: secret})
		urls = append(urls, srv.URL)
	}
	seedFlow(t, urls[0], urls[1])
}
