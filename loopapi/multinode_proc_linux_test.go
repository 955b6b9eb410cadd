package loopapi_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/appwire/appwire/internal/redistest"
	"github.com/appwire/appwire/internal/testproc"
	"github.com/appwire/appwire/internal/testserver"
	"github.com/appwire/appwire/loopapi"
	"github.com/appwire/appwire/loopapi/redisstore"
	"github.com/appwire/appwire/simplepush"
)

// The two-process tests run each Loop server as a process of its own: the
// test binary started again with LOOPAPI_TEST_NODE set runs only
// TestLoopNodeProcess, which serves a Server on the shared Redis until it
// is killed, so a node can die the hard way (SIGKILL).

const (
	envLoopNode   = "LOOPAPI_TEST_NODE"
	envLoopRedis  = "LOOPAPI_TEST_REDIS"
	envLoopSecret = "LOOPAPI_TEST_SECRET"
)

// TestLoopNodeProcess is the body of a node process, not a test.
func TestLoopNodeProcess(t *testing.T) {
	name := os.Getenv(envLoopNode)
	if name == "" {
		t.Skip("the body of a node process of the two-process tests")
	}
	if err := runLoopNode(name, os.Getenv(envLoopRedis), os.Getenv(envLoopSecret)); err != nil {
		fmt.Fprintln(os.Stderr, "node:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

func runLoopNode(name, redisAddr, secretHex string) error {
	secret, err := hex.DecodeString(secretHex)
	if err != nil {
		return err
	}
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr})
	defer rdb.Close()
	st, err := redisstore.New(rdb, redisstore.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	s, err := loopapi.NewServer(loopapi.Options{Store: st, HawkIDSecret: secret, UserMacSecret: secret,
		Logf: func(f string, a ...any) { fmt.Fprintf(os.Stderr, name+": "+f+"\n", a...) }})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	testproc.Announce(ln.Addr().String())
	return s.Serve(ctx, ln)
}

// loopNode is one Loop server process.
type loopNode struct {
	*testproc.Node
	url string
}

func startLoopNode(t *testing.T, name, redisAddr, secret string) *loopNode {
	t.Helper()
	n := testproc.Start(t, name, testproc.Options{Test: "TestLoopNodeProcess",
		Env: []string{envLoopNode + "=" + name, envLoopRedis + "=" + redisAddr, envLoopSecret + "=" + secret}})
	return &loopNode{Node: n, url: "http://" + n.Addr}
}

func twoNodes(t *testing.T) (*loopNode, *loopNode) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	rs := redistest.Start(t, redistest.Options{})
	secret := hex.EncodeToString([]byte("two-process-test-secret!"))
	return startLoopNode(t, "a", rs.Addr(), secret), startLoopNode(t, "b", rs.Addr(), secret)
}

// TestTwoProcesses: the seed flow with the caller on one process and the
// callee on the other.
func TestTwoProcesses(t *testing.T) {
	a, b := twoNodes(t)
	seedFlow(t, a.url, b.url)
}

// viaNode points a progressURL at node n instead.
func viaNode(progressURL string, n *loopNode) string {
	return "ws://" + strings.TrimPrefix(n.url, "http://") + "/websocket"
}

// TestNodeKilled: everything node A answered (the session, the push
// registration, the call URL, the call) survives A's SIGKILL, and the
// call is answered through node B.
func TestNodeKilled(t *testing.T) {
	a, b := twoNodes(t)
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
	calleeA, _ := loopapi.NewClient(a.url, loopapi.ClientOptions{})
	if err := calleeA.Register(ctx, map[string]string{loopapi.TopicCalls: endpoint}); err != nil {
		t.Fatal(err)
	}
	link, err := calleeA.CreateCallURL(ctx, loopapi.CallURLRequest{CallerID: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	callerA, _ := loopapi.NewClient(a.url, loopapi.ClientOptions{})
	placed, err := callerA.Call(ctx, link.CallToken, loopapi.CallRequest{CallType: "audio"})
	if err != nil {
		t.Fatal(err)
	}
	var woken simplepush.Notification
	select {
	case woken = <-ua.Notifications():
	case <-time.After(10 * time.Second):
		t.Fatal("not woken")
	}
	callerWS, err := loopapi.DialCall(ctx, placed.ProgressURL, placed.CallID, placed.WebsocketToken)
	if err != nil {
		t.Fatal(err)
	}
	a.Kill()
	if _, err := callerWS.Next(ctx); err == nil {
		t.Fatal("the socket to the killed node still works")
	}
	callerWS.Close()

	calleeB, err := loopapi.NewClient(b.url, loopapi.ClientOptions{SessionToken: calleeA.SessionToken()})
	if err != nil {
		t.Fatal(err)
	}
	urls, err := calleeB.CallURLs(ctx)
	if err != nil || len(urls) != 1 || urls[0].CallerID != "alice" {
		t.Fatalf("call URLs on B after A died: %+v %v", urls, err)
	}
	calls, err := calleeB.Calls(ctx, int64(woken.Version))
	if err != nil || len(calls) != 1 || calls[0].CallID != placed.CallID {
		t.Fatalf("calls on B after A died: %+v %v", calls, err)
	}
	cr, err := loopapi.DialCall(ctx, viaNode(placed.ProgressURL, b), placed.CallID, placed.WebsocketToken)
	if err != nil {
		t.Fatal(err)
	}
	defer cr.Close()
	ce, err := loopapi.DialCall(ctx, calls[0].ProgressURL, calls[0].CallID, calls[0].WebsocketToken)
	if err != nil {
		t.Fatal(err)
	}
	defer ce.Close()
	if err := ce.Await(ctx, loopapi.StateAlerting); err != nil {
		t.Fatal(err)
	}
	_ = ce.Accept(ctx)
	for _, c := range []*loopapi.CallConn{cr, ce} {
		if err := c.Await(ctx, loopapi.StateConnecting); err != nil {
			t.Fatal(err)
		}
		_ = c.MediaUp(ctx)
	}
	for _, c := range []*loopapi.CallConn{cr, ce} {
		if err := c.Await(ctx, loopapi.StateConnected); err != nil {
			t.Fatal(err)
		}
	}
	// A new caller on B reaches the same callee through the same link.
	callerB, _ := loopapi.NewClient(b.url, loopapi.ClientOptions{})
	if _, err := callerB.Call(ctx, link.CallToken, loopapi.CallRequest{CallType: "audio"}); err != nil {
		t.Fatal(err)
	}
}
