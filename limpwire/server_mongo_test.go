package limpwire_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/appwire/appwire/internal/mongotest"
	"github.com/appwire/appwire/internal/testserver"
	"github.com/appwire/appwire/limpwire"
	"github.com/appwire/appwire/limpwire/limpwiretest"
	"github.com/appwire/appwire/limpwire/mongostore"
)

// envNode makes the test binary a server node: "URI DB" of the MongoDB
// it keeps its state in (see TestTwoNodesShareSessions).
const envNode = "LIMPWIRE_TEST_NODE"

func TestMain(m *testing.M) {
	if spec := os.Getenv(envNode); spec != "" {
		os.Exit(runNode(spec))
	}
	os.Exit(m.Run())
}

// runNode serves a reference server on the MongoDB store until stdin
// closes; it prints its URL first.
func runNode(spec string) int {
	uri, db, _ := strings.Cut(spec, " ")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	st, err := mongostore.Dial(ctx, uri, db, mongostore.Options{})
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer st.Close(context.Background())
	s := limpwire.NewServer(limpwire.Options{Store: st})
	if err := limpwiretest.Setup(context.Background(), s); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 1
	}
	hs := &http.Server{Handler: s}
	go hs.Serve(ln)
	fmt.Printf("ws://%s/ws\n", ln.Addr())
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n') // until the test closes stdin
	ctx, cancel = context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = hs.Shutdown(ctx)
	_ = s.Shutdown(ctx)
	return 0
}

// mongoStore returns a store on a fresh MongoDB-wire server database.
func mongoStore(t *testing.T) (limpwire.Store, *mongotest.Server) {
	srv := mongotest.Start(t)
	st, err := mongostore.Dial(testserver.Ctx(t), srv.URI(), srv.Database(), mongostore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close(context.Background()) })
	return st, srv
}

// sdkFlow drives verify, auth, calls, watch, upload, reauth on a second
// connection and signout against url.
func sdkFlow(t *testing.T, url string) {
	ctx := testserver.Ctx(t)
	c := dial(t, url, limpwire.ClientOptions{ChunkSize: 700})
	s, err := c.Auth(ctx, "email", limpwiretest.AdminEmail, limpwiretest.AdminPassword)
	if err != nil {
		t.Fatal(err)
	}
	w, err := c.Watch(ctx, "item/watch", []any{map[string]any{"k": "flow"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r := <-w.Replies(); r.Code() != limpwire.CodeWatchOK {
		t.Fatalf("watch: %+v", r)
	}
	for i := range 3 {
		if _, err := c.Call(ctx, "item/create", nil, map[string]any{"k": "flow", "n": i}); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		if r := <-w.Replies(); r.Args["oper"] != "create" {
			t.Fatalf("watch change: %+v", r)
		}
	}
	r, err := c.Call(ctx, "item/read", []any{map[string]any{"k": "flow", "n": map[string]any{"$gte": 1}}, map[string]any{"$sort": map[string]any{"n": -1}}}, nil)
	if err != nil || r.Args["count"] != 2.0 || r.Args["docs"].([]any)[0].(map[string]any)["n"] != 2.0 {
		t.Fatalf("read: %+v %v", r, err)
	}
	if _, err := c.Call(ctx, "item/update", []any{map[string]any{"k": "flow", "n": 2}}, map[string]any{"n": map[string]any{"$add": 5}}); err != nil {
		t.Fatal(err)
	}
	if r := <-w.Replies(); r.Args["oper"] != "update" {
		t.Fatalf("watch change: %+v", r)
	}
	if err := w.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	content := []byte(strings.Repeat("limp", 500))
	r, err = c.Upload(ctx, "blob/create", nil, nil, map[string][]limpwire.File{"files": {{Name: "a", Content: content}}}, nil)
	if err != nil || r.Args["docs"].([]any)[0].(map[string]any)["files"].([]any)[0].(map[string]any)["size"] != 2000.0 {
		t.Fatalf("upload: %+v %v", r, err)
	}
	c2 := dial(t, url, limpwire.ClientOptions{})
	if _, err := c2.Reauth(ctx, s.ID, s.Token); err != nil {
		t.Fatalf("reauth: %v", err)
	}
	if err := c2.Signout(ctx); err != nil {
		t.Fatal(err)
	}
	c3 := dial(t, url, limpwire.ClientOptions{})
	if _, err := c3.Reauth(ctx, s.ID, s.Token); !errors.Is(err, limpwire.ErrInvalidSession) {
		t.Fatalf("reauth after signout: %v", err)
	}
}

func TestSDKFlowMemory(t *testing.T) {
	sdkFlow(t, limpwiretest.Start(t, limpwire.Options{}).URL)
}

func TestSDKFlowMongo(t *testing.T) {
	st, _ := mongoStore(t)
	sdkFlow(t, limpwiretest.Start(t, limpwire.Options{Store: st}).URL)
}

// TestTwoNodesShareSessions starts two server processes on one MongoDB
// database: a session made on the first is restored on the second by
// reauth (what a client does when it reconnects to the other node), and
// a reconnecting client that is sent to the second node keeps its session.
func TestTwoNodesShareSessions(t *testing.T) {
	srv := mongotest.Start(t)
	spec := srv.URI() + " " + srv.Database()
	a := startNode(t, spec)
	b := startNode(t, spec)
	ctx := testserver.Ctx(t)

	ca := dial(t, a, limpwire.ClientOptions{})
	s, err := ca.Auth(ctx, "email", limpwiretest.AdminEmail, limpwiretest.AdminPassword)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ca.Call(ctx, "item/create", nil, map[string]any{"from": "a"}); err != nil {
		t.Fatal(err)
	}
	cb := dial(t, b, limpwire.ClientOptions{})
	if _, err := cb.Reauth(ctx, s.ID, s.Token); err != nil {
		t.Fatalf("reauth on the other node: %v", err)
	}
	r, err := cb.Call(ctx, "item/read", []any{map[string]any{"from": "a"}}, nil)
	if err != nil || r.Args["count"] != 1.0 {
		t.Fatalf("read on the other node: %+v %v", r, err)
	}

	// A client behind a proxy that moves it to node b when a drops.
	proxy, url := newCutProxy(t, a)
	c := dial(t, url, limpwire.ClientOptions{Reconnect: true, ReconnectDelay: 10 * time.Millisecond})
	if _, err := c.Reauth(ctx, s.ID, s.Token); err != nil {
		t.Fatal(err)
	}
	proxy.retarget(strings.TrimSuffix(strings.TrimPrefix(b, "ws://"), "/ws"))
	proxy.cut()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r, err := c.Call(ctx, "user/read", []any{map[string]any{"_id": limpwire.AdminUserID}}, nil)
		if err == nil && r.Args["count"] == 1.0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no session on node b after the reconnect: %+v %v", r, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startNode runs this test binary as a server node and returns its URL.
func startNode(t *testing.T, spec string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envNode+"="+spec)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ws://") {
		t.Fatalf("node did not start: %q %v", line, err)
	}
	return strings.TrimSpace(line)
}
