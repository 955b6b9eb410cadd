package limpwire_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/appwire/appwire/internal/testserver"
	"github.com/appwire/appwire/limpwire"
	"github.com/appwire/appwire/limpwire/limpwiretest"
)

func dial(t *testing.T, url string, opts limpwire.ClientOptions) *limpwire.Client {
	t.Helper()
	c, err := limpwire.Dial(testserver.Ctx(t), url, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func adminClient(t *testing.T, url string) *limpwire.Client {
	t.Helper()
	c := dial(t, url, limpwire.ClientOptions{App: "test"})
	if _, err := c.Auth(testserver.Ctx(t), "email", limpwiretest.AdminEmail, limpwiretest.AdminPassword); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestClientAuthCallsSignout(t *testing.T) {
	srv := limpwiretest.Start(t, limpwire.Options{})
	ctx := testserver.Ctx(t)
	c := dial(t, srv.URL, limpwire.ClientOptions{App: "test"})

	// Anonymous: the user module is closed.
	if _, err := c.Call(ctx, "user/read", nil, nil); !errors.Is(err, limpwire.ErrForbidden) {
		t.Fatalf("anon user/read: %v", err)
	}
	if _, err := c.Auth(ctx, "email", limpwiretest.AdminEmail, "wrong"); !errors.Is(err, limpwire.ErrInvalidCreds) {
		t.Fatalf("wrong password: %v", err)
	}
	s, err := c.Auth(ctx, "email", limpwiretest.AdminEmail, limpwiretest.AdminPassword)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Token) != 43 || s.ID == "" || s.User["email"] != limpwiretest.AdminEmail {
		t.Fatalf("session %+v", s)
	}
	if _, ok := s.User["email_hash"]; ok {
		t.Error("auth reply leaks email_hash")
	}
	// Signed with the session token now: calls work and see the admin's rights.
	r, err := c.Call(ctx, "user/create", nil, map[string]any{"email": "u1@limp.test", "name": "U1"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Msg != "Created 1 docs." {
		t.Errorf("create msg %q", r.Msg)
	}
	r, err = c.Call(ctx, "user/read", []any{map[string]any{"email": "u1@limp.test"}}, nil)
	if err != nil || r.Args["count"] != 1.0 || r.Msg != "Found 1 docs." {
		t.Fatalf("read: %+v %v", r, err)
	}
	if _, err := c.Auth(ctx, "email", limpwiretest.AdminEmail, limpwiretest.AdminPassword); !errors.Is(err, limpwire.ErrAlreadyAuthed) {
		t.Errorf("second auth: %v", err)
	}
	if err := c.Signout(ctx); err != nil {
		t.Fatal(err)
	}
	if c.Session() != nil {
		t.Error("session kept after signout")
	}
	if _, err := c.Call(ctx, "user/read", nil, nil); !errors.Is(err, limpwire.ErrForbidden) {
		t.Errorf("after signout: %v", err)
	}
	if err := c.Signout(ctx); !errors.Is(err, limpwire.ErrNoSession) {
		t.Errorf("second signout: %v", err)
	}
	// The signed-out session cannot be restored.
	c2 := dial(t, srv.URL, limpwire.ClientOptions{})
	if _, err := c2.Reauth(ctx, s.ID, s.Token); !errors.Is(err, limpwire.ErrInvalidSession) {
		t.Errorf("reauth of a signed-out session: %v", err)
	}
}

func TestHashLevels(t *testing.T) {
	srv := limpwiretest.Start(t, limpwire.Options{})
	ctx := testserver.Ctx(t)
	if _, err := srv.AddUser(ctx, limpwire.NewUser{Username: "old", Password: "pw", Level: limpwire.HashLevel50}); err != nil {
		t.Fatal(err)
	}
	c56 := dial(t, srv.URL, limpwire.ClientOptions{})
	if _, err := c56.Auth(ctx, "username", "old", "pw"); !errors.Is(err, limpwire.ErrInvalidCreds) {
		t.Errorf("5.6 hash against a 5.0 user: %v", err)
	}
	c50 := dial(t, srv.URL, limpwire.ClientOptions{HashLevel: limpwire.HashLevel50})
	if _, err := c50.Auth(ctx, "username", "old", "pw"); err != nil {
		t.Errorf("5.0: %v", err)
	}
}

func TestReauthOnAnotherConnection(t *testing.T) {
	srv := limpwiretest.Start(t, limpwire.Options{})
	ctx := testserver.Ctx(t)
	c := adminClient(t, srv.URL)
	s := c.Session()
	c2 := dial(t, srv.URL, limpwire.ClientOptions{})
	if _, err := c2.Reauth(ctx, s.ID, s.Token+"x"); !errors.Is(err, limpwire.ErrReauthHash) {
		t.Fatalf("bad hash: %v", err)
	}
	if _, err := c2.Reauth(ctx, limpwire.AnonSID, "x"); !errors.Is(err, limpwire.ErrAnonReauth) {
		t.Fatalf("anon: %v", err)
	}
	if _, err := c2.Reauth(ctx, "aaaaaaaaaaaaaaaaaaaaaaaa", "x"); !errors.Is(err, limpwire.ErrInvalidSession) {
		t.Fatalf("unknown: %v", err)
	}
	s2, err := c2.Reauth(ctx, s.ID, s.Token)
	if err != nil || s2.ID != s.ID || s2.Token != s.Token {
		t.Fatalf("reauth: %+v %v", s2, err)
	}
	if _, err := c2.Call(ctx, "user/read", nil, nil); err != nil {
		t.Errorf("read after reauth: %v", err)
	}
}

func TestReconnectRestoresSession(t *testing.T) {
	srv := limpwiretest.Start(t, limpwire.Options{})
	proxy, url := newCutProxy(t, srv.URL)
	ctx := testserver.Ctx(t)
	c := dial(t, url, limpwire.ClientOptions{Reconnect: true, ReconnectDelay: 10 * time.Millisecond})
	s, err := c.Auth(ctx, "email", limpwiretest.AdminEmail, limpwiretest.AdminPassword)
	if err != nil {
		t.Fatal(err)
	}
	for st := range c.States() {
		if st == limpwire.StateReady {
			break
		}
	}
	proxy.cut()
	for _, want := range []limpwire.State{limpwire.StateDisconnected, limpwire.StateConnecting, limpwire.StateReady} {
		select {
		case st := <-c.States():
			if st != want {
				t.Fatalf("state %v, want %v", st, want)
			}
		case <-ctx.Done():
			t.Fatal("no reconnect")
		}
	}
	// The call waits for the reauth and runs as the admin again.
	r, err := c.Call(ctx, "user/read", []any{map[string]any{"_id": limpwire.AdminUserID}}, nil)
	if err != nil || r.Args["count"] != 1.0 {
		t.Fatalf("after reconnect: %+v %v", r, err)
	}
	if got := c.Session(); got == nil || got.ID != s.ID {
		t.Errorf("session after reconnect %+v, want %s", got, s.ID)
	}
}

func TestHeartbeatKeepsConnection(t *testing.T) {
	srv := limpwiretest.Start(t, limpwire.Options{ConnTimeout: 800 * time.Millisecond, IdleCheck: 100 * time.Millisecond})
	ctx := testserver.Ctx(t)
	beating := dial(t, srv.URL, limpwire.ClientOptions{Heartbeat: 100 * time.Millisecond})
	silent := dial(t, srv.URL, limpwire.ClientOptions{Heartbeat: -1})
	for _, c := range []*limpwire.Client{beating, silent} {
		<-c.States() // connecting
		<-c.States() // ready
	}
	// The silent client is closed by the idle timer...
	select {
	case st := <-silent.States():
		if st != limpwire.StateClosed {
			t.Fatalf("silent client: %v", st)
		}
	case <-ctx.Done():
		t.Fatal("the idle connection was not closed")
	}
	// ... while the one sending heartbeats, idle as long, stays.
	select {
	case st := <-beating.States():
		t.Fatalf("state changed to %v despite heartbeats", st)
	default:
	}
	if _, err := beating.Call(ctx, "heart/beat", nil, nil); err != nil {
		t.Fatal(err)
	}
}

func TestManyCallsInFlight(t *testing.T) {
	srv := limpwiretest.Start(t, limpwire.Options{QuotaAuth: -1, QuotaIP: -1})
	ctx := testserver.Ctx(t)
	c := adminClient(t, srv.URL)
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := range 200 {
		wg.Go(func() {
			r, err := c.Call(ctx, "blob/create", nil, map[string]any{"files": []any{}, "name": string(rune('a' + i%26))})
			if err == nil && r.Msg != "Created 1 docs." {
				err = errors.New(r.Msg)
			}
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	r, err := c.Call(ctx, "blob/read", nil, nil)
	if err != nil || r.Args["total"] != 200.0 {
		t.Fatalf("%v %v", r.Args["total"], err)
	}
}

func TestWatch(t *testing.T) {
	srv := limpwiretest.Start(t, limpwire.Options{})
	ctx := testserver.Ctx(t)
	w := dial(t, srv.URL, limpwire.ClientOptions{})
	wc, err := w.Watch(ctx, "blob/watch", []any{map[string]any{"name": "keep"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	first := <-wc.Replies()
	if first.Code() != limpwire.CodeWatchOK || first.Msg != "Created watch task." {
		t.Fatalf("first %+v", first)
	}
	other := dial(t, srv.URL, limpwire.ClientOptions{})
	for _, name := range []string{"skip", "keep"} {
		if _, err := other.Call(ctx, "blob/create", nil, map[string]any{"files": []any{}, "name": name}); err != nil {
			t.Fatal(err)
		}
	}
	r := <-wc.Replies()
	if r.Msg != "Detected 1 docs." || r.Args["oper"] != "create" {
		t.Fatalf("change %+v", r)
	}
	if w, _ := r.Watch(); w != wc.ID() {
		t.Errorf("watch id %q", w)
	}
	docs := r.Args["docs"].([]any)
	if docs[0].(map[string]any)["name"] != "keep" {
		t.Errorf("watched doc %+v", docs)
	}
	if err := wc.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-wc.Replies(); ok {
		t.Error("replies open after Stop")
	}
	if _, err := w.Call(ctx, "watch/delete", []any{map[string]any{"watch": wc.ID()}}, nil); !errors.Is(err, limpwire.ErrInvalidWatch) {
		t.Errorf("deleting twice: %v", err)
	}
}

func TestUpload(t *testing.T) {
	srv := limpwiretest.Start(t, limpwire.Options{})
	ctx := testserver.Ctx(t)
	c := dial(t, srv.URL, limpwire.ClientOptions{ChunkSize: 1000})
	content := make([]byte, 2500)
	for i := range content {
		content[i] = byte(i * 7)
	}
	var prog []limpwire.UploadProgress
	r, err := c.Upload(ctx, "blob/create", nil, map[string]any{"name": "f"}, map[string][]limpwire.File{
		"files": {{Name: "a.bin", Type: "application/octet-stream", Content: content}, {Name: "empty"}},
	}, func(p limpwire.UploadProgress) { prog = append(prog, p) })
	if err != nil {
		t.Fatal(err)
	}
	if len(prog) != 4 || prog[2].Chunk != 3 || prog[2].Sent != 2500 || prog[3].Index != 1 {
		t.Errorf("progress %+v", prog)
	}
	files := r.Args["docs"].([]any)[0].(map[string]any)["files"].([]any)
	sum := sha256.Sum256(content)
	f0 := files[0].(map[string]any)
	if len(files) != 2 || f0["sha256"] != hex.EncodeToString(sum[:]) || f0["size"] != 2500.0 || f0["name"] != "a.bin" {
		t.Fatalf("files %+v", files)
	}
}

func TestUploadBound(t *testing.T) {
	srv := limpwiretest.Start(t, limpwire.Options{MaxUploadBytes: 1500})
	c := dial(t, srv.URL, limpwire.ClientOptions{ChunkSize: 1000})
	_, err := c.Upload(testserver.Ctx(t), "blob/create", nil, nil, map[string][]limpwire.File{
		"files": {{Name: "big", Content: make([]byte, 2000)}},
	}, nil)
	if !errors.Is(err, limpwire.ErrUploadLimit) {
		t.Fatalf("err = %v", err)
	}
}

func TestShutdownDrains(t *testing.T) {
	s := limpwire.NewServer(limpwire.Options{})
	slow, started := make(chan struct{}), make(chan struct{})
	_ = s.Register(&limpwire.Module{Name: "slow", Methods: map[string]*limpwire.Method{
		"run": {Permissions: []limpwire.Permission{{Privilege: "*"}}, Handle: func(ctx context.Context, r *limpwire.Request) (*limpwire.Result, error) {
			close(started)
			<-slow
			return &limpwire.Result{Msg: "done"}, nil
		}},
	}})
	u := testserver.Serve(t, s, nil)
	c := dial(t, "ws"+u[4:]+"/ws", limpwire.ClientOptions{})
	ctx := testserver.Ctx(t)
	res := make(chan error, 1)
	go func() {
		r, err := c.Call(ctx, "slow/run", nil, nil)
		if err == nil && r.Msg != "done" {
			err = errors.New(r.Msg)
		}
		res <- err
	}()
	<-started
	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(ctx) }()
	time.Sleep(50 * time.Millisecond)
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned with a call running: %v", err)
	default:
	}
	close(slow)
	if err := <-res; err != nil {
		t.Fatalf("in-flight call: %v", err)
	}
	if err := <-shut; err != nil {
		t.Fatal(err)
	}
}

// A watch whose replies nobody reads must not stall the connection: the
// other calls on the same client are still answered, and the neglected
// watch ends (its Replies close) with ErrWatchBehind from Err.
func TestWatchUnreadDoesNotStallCalls(t *testing.T) {
	srv := limpwiretest.Start(t, limpwire.Options{QuotaIP: -1, QuotaAnon: -1})
	ctx := testserver.Ctx(t)
	w := dial(t, srv.URL, limpwire.ClientOptions{})
	wc, err := w.Watch(ctx, "blob/watch", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	other := dial(t, srv.URL, limpwire.ClientOptions{})
	for i := range 300 {
		if _, err := other.Call(ctx, "blob/create", nil, map[string]any{"files": []any{}, "name": fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := w.Call(cctx, "blob/read", nil, nil); err != nil {
		t.Fatalf("a call behind an unread watch: %v", err)
	}
	n := 0
	for range wc.Replies() {
		n++
	}
	if n == 0 || n > 256 || !errors.Is(wc.Err(), limpwire.ErrWatchBehind) {
		t.Fatalf("unread watch: %d replies kept, Err %v", n, wc.Err())
	}
}

// A watch the server refuses (its first reply is not 200) is over: its
// Replies close after that reply, and the client forgets the call.
func TestWatchRefusedEnds(t *testing.T) {
	srv := limpwiretest.Start(t, limpwire.Options{})
	ctx := testserver.Ctx(t)
	c := dial(t, srv.URL, limpwire.ClientOptions{})
	wc, err := c.Watch(ctx, "nosuch/watch", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	first := <-wc.Replies()
	if first == nil || first.Status != 400 {
		t.Fatalf("first reply %+v", first)
	}
	select {
	case r, ok := <-wc.Replies():
		if ok {
			t.Fatalf("a reply after the refusal: %+v", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Replies of a refused watch still open")
	}
}
