package loopapi_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/appwire/appwire/internal/testserver"
	"github.com/appwire/appwire/internal/wsconn"
	"github.com/appwire/appwire/loopapi"
	"github.com/appwire/appwire/loopapi/loopapitest"
)

// pending places a call and returns what both parties need to join.
func pending(t *testing.T, opts loopapi.Options) (caller loopapi.CallCreated, callee loopapi.CallItem, srv *loopapitest.Server) {
	t.Helper()
	sk := newSink(t)
	srv = loopapitest.Start(t, opts)
	ctx := testserver.Ctx(t)
	bob, _ := session(t, srv.URL, map[string]string{loopapi.TopicCalls: sk.URL})
	link, err := bob.CreateCallURL(ctx, loopapi.CallURLRequest{CallerID: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	anon, _ := loopapi.NewClient(srv.URL, loopapi.ClientOptions{})
	caller, err = anon.Call(ctx, link.CallToken, loopapi.CallRequest{CallType: "audio"})
	if err != nil {
		t.Fatal(err)
	}
	calls, err := bob.Calls(ctx, 0)
	if err != nil || len(calls) != 1 {
		t.Fatalf("calls %+v %v", calls, err)
	}
	return caller, calls[0], srv
}

func dial(t *testing.T, url, callID, token string) *loopapi.CallConn {
	t.Helper()
	c, err := loopapi.DialCall(testserver.Ctx(t), url, callID, token)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// awaitEnd waits for terminated with reason.
func awaitEnd(t *testing.T, c *loopapi.CallConn, reason string) {
	t.Helper()
	ctx := testserver.Ctx(t)
	for {
		m, err := c.Next(ctx)
		if err != nil {
			t.Fatalf("waiting for terminated:%s: %v", reason, err)
		}
		if m.State == loopapi.StateTerminated {
			if m.Reason != reason {
				t.Fatalf("terminated with %q, want %q", m.Reason, reason)
			}
			return
		}
	}
}

func fast() loopapi.Options {
	return loopapi.Options{SupervisoryDuration: time.Hour, RingingDuration: time.Hour, ConnectionDuration: time.Hour}
}

func TestWSHelloErrors(t *testing.T) {
	caller, _, _ := pending(t, fast())
	ctx := testserver.Ctx(t)
	_, err := loopapi.DialCall(ctx, caller.ProgressURL, "0123456789abcdef0123456789abcdef", caller.WebsocketToken)
	if !errors.Is(err, loopapi.ErrWSBadCallID) {
		t.Fatalf("unknown call: %v", err)
	}
	_, err = loopapi.DialCall(ctx, caller.ProgressURL, caller.CallID, "wrong")
	if !errors.Is(err, loopapi.ErrWSBadAuth) {
		t.Fatalf("bad token: %v", err)
	}
	// Raw messages: garbage, an unknown type, an action before hello.
	for _, tc := range []struct{ msg, reason string }{
		{`{`, "Malformed message."},
		{`{"messageType":"dance"}`, "Unknown messageType"},
		{`{"messageType":"action","event":"accept"}`, "hello expected first"},
		{`{"messageType":"hello","callId":"x"}`, "Missing parameters: auth"},
	} {
		c, err := wsconn.Dial(ctx, caller.ProgressURL, wsconn.DialOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.WriteText(ctx, []byte(tc.msg)); err != nil {
			t.Fatal(err)
		}
		_, b, err := c.ReadMessage(ctx, nil)
		if err != nil || string(b) != `{"messageType":"error","reason":"`+tc.reason+`"}` {
			t.Fatalf("%s: %s %v", tc.msg, b, err)
		}
		if _, _, err := c.ReadMessage(ctx, nil); wsconn.CloseStatus(err) < 0 {
			t.Fatalf("%s: socket not closed: %v", tc.msg, err)
		}
		c.CloseNow()
	}
	// Echo works before hello.
	c, _ := wsconn.Dial(ctx, caller.ProgressURL, wsconn.DialOptions{})
	defer c.CloseNow()
	_ = c.WriteText(ctx, []byte(`{"messageType":"echo","echo":"ping"}`))
	if _, b, err := c.ReadMessage(ctx, nil); err != nil || string(b) != `{"messageType":"echo","echo":"ping"}` {
		t.Fatalf("echo %s %v", b, err)
	}
}

func TestWSTerminateReasons(t *testing.T) {
	caller, callee, _ := pending(t, fast())
	ctx := testserver.Ctx(t)
	cr := dial(t, caller.ProgressURL, caller.CallID, caller.WebsocketToken)
	ce := dial(t, callee.ProgressURL, callee.CallID, callee.WebsocketToken)
	if err := ce.Await(ctx, loopapi.StateAlerting); err != nil {
		t.Fatal(err)
	}
	if err := cr.Terminate(ctx, "bad reason!"); !errors.Is(err, loopapi.ErrWSBadReason) {
		t.Fatalf("client sent a bad reason: %v", err)
	}
	// The caller may not accept its own call.
	if err := cr.Accept(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := cr.Next(ctx); err == nil {
		for {
			if _, err = cr.Next(ctx); err != nil {
				break
			}
		}
	}
	awaitEnd(t, ce, "closed") // the caller's socket was closed: the call ends
	// A new hello to a terminated call answers terminated with the reason.
	again, err := loopapi.DialCall(ctx, callee.ProgressURL, callee.CallID, callee.WebsocketToken)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if again.State() != loopapi.StateTerminated {
		t.Fatalf("hello after the end: %s", again.State())
	}
}

func TestWSCancelByCaller(t *testing.T) {
	caller, callee, _ := pending(t, fast())
	ctx := testserver.Ctx(t)
	cr := dial(t, caller.ProgressURL, caller.CallID, caller.WebsocketToken)
	ce := dial(t, callee.ProgressURL, callee.CallID, callee.WebsocketToken)
	if err := cr.Await(ctx, loopapi.StateAlerting); err != nil {
		t.Fatal(err)
	}
	if err := cr.Terminate(ctx, loopapi.ReasonCancel); err != nil {
		t.Fatal(err)
	}
	awaitEnd(t, ce, loopapi.ReasonCancel)
	awaitEnd(t, cr, loopapi.ReasonCancel)
}

func TestWSAnsweredElsewhere(t *testing.T) {
	caller, callee, _ := pending(t, fast())
	ctx := testserver.Ctx(t)
	cr := dial(t, caller.ProgressURL, caller.CallID, caller.WebsocketToken)
	desk := dial(t, callee.ProgressURL, callee.CallID, callee.WebsocketToken)
	phone := dial(t, callee.ProgressURL, callee.CallID, callee.WebsocketToken)
	for _, c := range []*loopapi.CallConn{cr, desk} {
		if err := c.Await(ctx, loopapi.StateAlerting); err != nil {
			t.Fatal(err)
		}
	}
	if err := desk.Accept(ctx); err != nil {
		t.Fatal(err)
	}
	awaitEnd(t, phone, loopapi.ReasonAnsweredElsewhere)
	for _, c := range []*loopapi.CallConn{cr, desk} {
		if err := c.Await(ctx, loopapi.StateConnecting); err != nil {
			t.Fatal(err)
		}
	}
	// The call survives the other device leaving.
	if err := cr.MediaUp(ctx); err != nil {
		t.Fatal(err)
	}
	if err := cr.Await(ctx, loopapi.StateHalfConnected); err != nil {
		t.Fatal(err)
	}
}

func TestWSTimers(t *testing.T) {
	short := 150 * time.Millisecond
	t.Run("supervisory", func(t *testing.T) {
		o := fast()
		o.SupervisoryDuration = short
		caller, _, _ := pending(t, o)
		cr := dial(t, caller.ProgressURL, caller.CallID, caller.WebsocketToken)
		awaitEnd(t, cr, loopapi.ReasonTimeout) // the callee never said hello
	})
	t.Run("ringing", func(t *testing.T) {
		o := fast()
		o.RingingDuration = short
		caller, callee, _ := pending(t, o)
		cr := dial(t, caller.ProgressURL, caller.CallID, caller.WebsocketToken)
		ce := dial(t, callee.ProgressURL, callee.CallID, callee.WebsocketToken)
		awaitEnd(t, ce, loopapi.ReasonTimeout) // nobody accepted
		awaitEnd(t, cr, loopapi.ReasonTimeout)
	})
	t.Run("connection", func(t *testing.T) {
		o := fast()
		o.ConnectionDuration = short
		caller, callee, _ := pending(t, o)
		ctx := testserver.Ctx(t)
		cr := dial(t, caller.ProgressURL, caller.CallID, caller.WebsocketToken)
		ce := dial(t, callee.ProgressURL, callee.CallID, callee.WebsocketToken)
		if err := ce.Await(ctx, loopapi.StateAlerting); err != nil {
			t.Fatal(err)
		}
		if err := ce.Accept(ctx); err != nil {
			t.Fatal(err)
		}
		if err := cr.Await(ctx, loopapi.StateConnecting); err != nil {
			t.Fatal(err)
		}
		if err := cr.MediaUp(ctx); err != nil { // only one side gets media up
			t.Fatal(err)
		}
		awaitEnd(t, cr, loopapi.ReasonTimeout)
		awaitEnd(t, ce, loopapi.ReasonTimeout)
	})
	t.Run("answered in time", func(t *testing.T) {
		short := time.Second // each step has a second of slack on a loaded machine
		o := loopapi.Options{SupervisoryDuration: short, RingingDuration: short, ConnectionDuration: short}
		caller, callee, _ := pending(t, o)
		ctx := testserver.Ctx(t)
		cr := dial(t, caller.ProgressURL, caller.CallID, caller.WebsocketToken)
		ce := dial(t, callee.ProgressURL, callee.CallID, callee.WebsocketToken)
		if err := ce.Await(ctx, loopapi.StateAlerting); err != nil {
			t.Fatal(err)
		}
		_ = ce.Accept(ctx)
		_ = ce.Await(ctx, loopapi.StateConnecting)
		_ = cr.Await(ctx, loopapi.StateConnecting)
		_ = ce.MediaUp(ctx)
		_ = cr.MediaUp(ctx)
		if err := cr.Await(ctx, loopapi.StateConnected); err != nil {
			t.Fatal(err)
		}
		time.Sleep(short + short/2) // every timer has fired by now and found the call connected
		st, _, err := loopapitestState(t, caller.ProgressURL, caller)
		if err != nil || st != loopapi.StateConnected {
			t.Fatalf("state after the timers: %s %v", st, err)
		}
	})
}

// loopapitestState reads the call's state with a fresh hello.
func loopapitestState(t *testing.T, url string, caller loopapi.CallCreated) (loopapi.CallState, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := loopapi.DialCall(ctx, url, caller.CallID, caller.WebsocketToken)
	if err != nil {
		return "", "", err
	}
	defer c.Close()
	return c.State(), "", nil
}

func TestWSShutdownDrains(t *testing.T) {
	caller, _, srv := pending(t, fast())
	cr := dial(t, caller.ProgressURL, caller.CallID, caller.WebsocketToken)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Server.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := cr.Next(ctx); !errors.Is(err, loopapi.ErrCallEnded) {
		t.Fatalf("socket after shutdown: %v", err)
	}
	// A shutdown does not end the call: another node may take it over.
	st, _, err := srv.Server.Store().CallState(ctx, caller.CallID)
	if err != nil || st == loopapi.StateTerminated {
		t.Fatalf("call after shutdown: %s %v", st, err)
	}
}

func TestWSLimit(t *testing.T) {
	o := fast()
	o.MaxWebsockets = 1
	caller, callee, _ := pending(t, o)
	ctx := testserver.Ctx(t)
	first := dial(t, caller.ProgressURL, caller.CallID, caller.WebsocketToken)
	_, err := loopapi.DialCall(ctx, callee.ProgressURL, callee.CallID, callee.WebsocketToken)
	if wsconn.HandshakeStatus(err) != 503 {
		t.Fatalf("a websocket over the limit: %v", err)
	}
	first.Close()
	for end := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		c, err := loopapi.DialCall(ctx, callee.ProgressURL, callee.CallID, callee.WebsocketToken)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(end) {
			t.Fatalf("the slot was not freed: %v", err)
		}
	}
}
