package limpwire_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/appwire/appwire/internal/testserver"
	"github.com/appwire/appwire/internal/wsconn"
	"github.com/appwire/appwire/limpwire"
	"github.com/appwire/appwire/limpwire/limpwiretest"
)

func TestRealms(t *testing.T) {
	srv := limpwiretest.Start(t, limpwire.Options{Realms: []string{"r1"}})
	base := strings.TrimSuffix(srv.URL, "/ws")
	ctx := testserver.Ctx(t)
	c := dial(t, base+"/ws/r1", limpwire.ClientOptions{})
	if _, err := c.Call(ctx, "heart/beat", nil, nil); err != nil {
		t.Fatal(err)
	}
	// An unknown realm is greeted with 1008 CORE_CONN_CLOSED and closed.
	if _, err := limpwire.Dial(ctx, base+"/ws/nope", limpwire.ClientOptions{}); !errors.Is(err, limpwire.ErrConnClosed) {
		t.Fatalf("unknown realm: %v", err)
	}
	// Realm mode serves no plain /ws.
	if _, err := wsconn.Dial(ctx, base+"/ws", wsconn.DialOptions{}); wsconn.HandshakeStatus(err) != http.StatusNotFound {
		t.Fatalf("plain /ws in realm mode: %v", err)
	}
}

func TestWebAppOrigin(t *testing.T) {
	srv := limpwiretest.Start(t, limpwire.Options{ClientApps: []limpwire.ClientApp{
		{ID: "web", Web: true, Origins: []string{"https://ok.example"}}, {ID: "native"},
	}})
	ctx := testserver.Ctx(t)
	for _, c := range []struct {
		app, origin string
		ok          bool
	}{
		{"web", "https://ok.example", true},
		{"web", "https://evil.example", false},
		{"web", "", false},
		{"native", "", true},
		{"native", "https://evil.example", true},
		{"other", "https://ok.example", false},
	} {
		cl, err := limpwire.Dial(ctx, srv.URL, limpwire.ClientOptions{App: c.app, Header: http.Header{"Origin": {c.origin}}})
		switch {
		case c.ok && err != nil, !c.ok && !errors.Is(err, limpwire.ErrNoVerify):
			t.Errorf("app %q origin %q: %v", c.app, c.origin, err)
		}
		if cl != nil {
			cl.Close()
		}
	}
}

func TestGetOnlyAndArgs(t *testing.T) {
	s := limpwire.NewServer(limpwire.Options{})
	anyone := []limpwire.Permission{{Privilege: "*"}}
	ok := func(ctx context.Context, r *limpwire.Request) (*limpwire.Result, error) {
		return &limpwire.Result{Msg: "ok", Args: map[string]any{"doc": r.Doc}}, nil
	}
	if err := s.Register(&limpwire.Module{Name: "m", Methods: map[string]*limpwire.Method{
		"get":    {Permissions: anyone, GetOnly: true, Handle: ok},
		"args":   {Permissions: anyone, QueryArgs: []limpwire.ArgSet{{"_id": limpwire.TypeID}}, DocArgs: []limpwire.ArgSet{{"n": limpwire.TypeInt}, {"s": limpwire.TypeString}}, Handle: ok},
		"boom":   {Permissions: anyone, Handle: func(context.Context, *limpwire.Request) (*limpwire.Result, error) { return nil, errors.New("boom") }},
		"closed": {Handle: ok},
	}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Register(&limpwire.Module{Name: "m"}); !errors.Is(err, limpwire.ErrModuleExists) {
		t.Errorf("duplicate module: %v", err)
	}
	u := testserver.Serve(t, s, func(ctx context.Context) { s.Shutdown(ctx) })
	c := dial(t, "ws"+strings.TrimPrefix(u, "http")+"/ws", limpwire.ClientOptions{})
	ctx := testserver.Ctx(t)
	id := []any{map[string]any{"_id": "0123456789abcdef01234567"}}
	for _, k := range []struct {
		ep    string
		query []any
		doc   map[string]any
		want  error
		code  string
	}{
		{"m/get", nil, nil, limpwire.ErrGetMethod, ""},
		{"m/args", nil, map[string]any{"n": 1}, nil, "APP_M_INVALID_QUERY"},
		{"m/args", id, map[string]any{"n": 1.5}, nil, "APP_M_INVALID_DOC"},
		{"m/args", id, map[string]any{"n": 2}, nil, ""},
		{"m/args", id, map[string]any{"s": "x"}, nil, ""},
		{"M/ARGS", id, map[string]any{"s": "x"}, nil, ""},
		{"m/boom", nil, nil, limpwire.ErrServer, ""},
		{"m/closed", nil, nil, limpwire.ErrForbidden, ""},
		{"m/args", []any{map[string]any{"_id": map[string]any{"$not": 1}}}, map[string]any{"s": "x"}, nil, "APP_M_INVALID_QUERY"},
	} {
		r, err := c.Call(ctx, k.ep, k.query, k.doc)
		var le *limpwire.Error
		switch {
		case k.want != nil && !errors.Is(err, k.want):
			t.Errorf("%s %v: %v, want %v", k.ep, k.doc, err, k.want)
		case k.code != "" && (!errors.As(err, &le) || le.Code != k.code || le.Status != 400):
			t.Errorf("%s %v: %v, want 400 %s", k.ep, k.doc, err, k.code)
		case k.want == nil && k.code == "" && (err != nil || r.Msg != "ok"):
			t.Errorf("%s %v: %v %v", k.ep, k.doc, r, err)
		}
	}
}

// TestGreeting5x: a 5.x server greets with CORE_CONN_OK and has no
// verify step; the client treats the connection as verified.
func TestGreeting5x(t *testing.T) {
	u := testserver.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := wsconn.Upgrade(w, r, wsconn.UpgradeOptions{})
		if err != nil {
			return
		}
		defer ws.CloseNow()
		ctx := context.Background()
		_ = ws.WriteText(ctx, []byte(`{"status":200,"msg":"Connection establised","args":{"code":"CORE_CONN_OK"}}`))
		key := limpwire.NewKey(limpwire.AnonToken)
		for {
			_, msg, err := ws.ReadMessage(ctx, nil)
			if err != nil {
				return
			}
			f, err := limpwire.ParseFrame(msg, 0)
			if err != nil {
				return
			}
			p, err := key.Verify(f.Token)
			if err != nil {
				return
			}
			call, _ := limpwire.ParseCall(p, time.Now())
			if call.Endpoint == "conn/verify" {
				return // a 5.x server does not know it
			}
			b, _ := limpwire.AppendReply(nil, &limpwire.Reply{Status: 200, Msg: "5.x says hi", Args: map[string]any{"call_id": call.CallID}})
			_ = ws.WriteText(ctx, b)
		}
	}), nil)
	ctx := testserver.Ctx(t)
	c := dial(t, "ws"+strings.TrimPrefix(u, "http")+"/ws", limpwire.ClientOptions{})
	r, err := c.Call(ctx, "heart/beat", nil, nil)
	if err != nil || r.Msg != "5.x says hi" {
		t.Fatalf("%+v %v", r, err)
	}
}

func TestGoChannel(t *testing.T) {
	srv := limpwiretest.Start(t, limpwire.Options{})
	c := dial(t, srv.URL, limpwire.ClientOptions{})
	ctx := testserver.Ctx(t)
	var chans []<-chan *limpwire.Reply
	for range 5 {
		ch, err := c.Go(ctx, "heart/beat", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		chans = append(chans, ch)
	}
	for _, ch := range chans {
		if r, ok := <-ch; !ok || r.Code() != limpwire.CodeHeartbeat {
			t.Fatalf("%+v %v", r, ok)
		}
	}
}

func TestIPQuota(t *testing.T) {
	srv := limpwiretest.Start(t, limpwire.Options{QuotaIP: 5})
	ctx := testserver.Ctx(t)
	a := dial(t, srv.URL, limpwire.ClientOptions{Heartbeat: -1}) // message 1
	b := dial(t, srv.URL, limpwire.ClientOptions{Heartbeat: -1}) // message 2
	for _, c := range []*limpwire.Client{a, b} {                 // 3, 4
		if _, err := c.Call(ctx, "heart/beat", nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.Call(ctx, "heart/beat", nil, nil); !errors.Is(err, limpwire.ErrIPQuota) {
		t.Fatalf("5th message from one IP: %v", err)
	}
}

func TestWatchLimit(t *testing.T) {
	srv := limpwiretest.Start(t, limpwire.Options{MaxTasks: 2})
	c := dial(t, srv.URL, limpwire.ClientOptions{})
	ctx := testserver.Ctx(t)
	for i := range 3 {
		w, err := c.Watch(ctx, "item/watch", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		r := <-w.Replies()
		switch {
		case i < 2 && r.Code() != limpwire.CodeWatchOK:
			t.Fatalf("watch %d: %+v", i, r)
		case i == 2 && !errors.Is(r.Err(), limpwire.ErrWatchLimit):
			t.Fatalf("watch over the limit: %+v", r)
		}
	}
}

func TestQueryBuilder(t *testing.T) {
	srv := limpwiretest.Start(t, limpwire.Options{})
	c := dial(t, srv.URL, limpwire.ClientOptions{})
	ctx := testserver.Ctx(t)
	for i := range 6 {
		if _, err := c.Call(ctx, "item/create", nil, map[string]any{"n": i, "even": i%2 == 0, "s": "v" + string(rune('a'+i))}); err != nil {
			t.Fatal(err)
		}
	}
	q := limpwire.Q{}.Op("n", "$gte", 1).
		Or(limpwire.Q{}.Eq("even", true), limpwire.Q{}.Op("s", "$regex", "^VB$").Op("n", "$lt", 2)).
		Sort("n", -1).Skip(1).Limit(2).Attrs("n")
	if _, err := limpwire.ParseQuery(q.Raw()); err != nil {
		t.Fatal(err)
	}
	r, err := c.Call(ctx, "item/read", q, nil)
	if err != nil {
		t.Fatal(err)
	}
	// n >= 1 and (even or (s ~ vb and n < 2)): 1, 2, 4; sorted down, skip 1, limit 2: 2, 1.
	docs := r.Args["docs"].([]any)
	if r.Args["total"] != 3.0 || len(docs) != 2 || docs[0].(map[string]any)["n"] != 2.0 || docs[1].(map[string]any)["n"] != 1.0 {
		t.Fatalf("%+v", r.Args)
	}
	if _, ok := docs[0].(map[string]any)["s"]; ok {
		t.Error("$attrs ignored")
	}
}

func TestUserModulePermissions(t *testing.T) {
	srv := limpwiretest.Start(t, limpwire.Options{})
	ctx := testserver.Ctx(t)
	uid, err := srv.AddUser(ctx, limpwire.NewUser{Email: "u@limp.test", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.AddUser(ctx, limpwire.NewUser{Email: "other@limp.test", Password: "pw"}); err != nil {
		t.Fatal(err)
	}
	c := dial(t, srv.URL, limpwire.ClientOptions{})
	if _, err := c.Auth(ctx, "email", "u@limp.test", "pw"); err != nil {
		t.Fatal(err)
	}
	// A user reads only themself, whatever the query asks.
	r, err := c.Call(ctx, "user/read", nil, nil)
	if err != nil || r.Args["count"] != 1.0 || r.Args["docs"].([]any)[0].(map[string]any)["_id"] != uid {
		t.Fatalf("self read: %+v %v", r, err)
	}
	r, err = c.Call(ctx, "user/read", []any{map[string]any{"email": "other@limp.test"}}, nil)
	if err != nil || r.Args["count"] != 0.0 {
		t.Fatalf("reading another user: %+v %v", r, err)
	}
	// ... updates only themself ...
	r, err = c.Call(ctx, "user/update", []any{map[string]any{"email": "other@limp.test"}}, map[string]any{"name": "x"})
	if err != nil || r.Msg != "Updated 0 docs." {
		t.Fatalf("updating another user: %+v %v", r, err)
	}
	// ... and creates nobody.
	if _, err := c.Call(ctx, "user/create", nil, map[string]any{"email": "new@limp.test"}); !errors.Is(err, limpwire.ErrForbidden) {
		t.Fatalf("create as a user: %v", err)
	}
	// An admin bans the user: auth is refused with CORE_SESSION_INVALID_USER.
	a := adminClient(t, srv.URL)
	if _, err := a.Call(ctx, "user/update", []any{map[string]any{"_id": uid}}, map[string]any{"status": "banned"}); err != nil {
		t.Fatal(err)
	}
	c2 := dial(t, srv.URL, limpwire.ClientOptions{})
	if _, err := c2.Auth(ctx, "email", "u@limp.test", "pw"); !errors.Is(err, limpwire.ErrUserBanned) {
		t.Fatalf("banned user: %v", err)
	}
	// Auth restricted to groups: the admin passes any group, a user only
	// its own.
	if _, err := c2.Auth(ctx, "email", "other@limp.test", "pw", "0123456789abcdef01234567"); !errors.Is(err, limpwire.ErrInvalidCreds) {
		t.Fatalf("user outside the group: %v", err)
	}
	if _, err := c2.Auth(ctx, "email", "other@limp.test", "pw", limpwire.DefaultGroup); err != nil {
		t.Fatalf("user in the group: %v", err)
	}
	c3 := dial(t, srv.URL, limpwire.ClientOptions{})
	if _, err := c3.Auth(ctx, "email", limpwiretest.AdminEmail, limpwiretest.AdminPassword, "0123456789abcdef01234567"); err != nil {
		t.Fatalf("admin with any group: %v", err)
	}
}

func TestWatchDeletes(t *testing.T) {
	srv := limpwiretest.Start(t, limpwire.Options{})
	ctx := testserver.Ctx(t)
	c := dial(t, srv.URL, limpwire.ClientOptions{})
	w, err := c.Watch(ctx, "item/watch", []any{map[string]any{"k": "w"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	<-w.Replies()
	var ids []string
	for _, k := range []string{"other", "w"} {
		r, err := c.Call(ctx, "item/create", nil, map[string]any{"k": k})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.Args["docs"].([]any)[0].(map[string]any)["_id"].(string))
	}
	if r := <-w.Replies(); r.Args["oper"] != "create" {
		t.Fatalf("%+v", r)
	}
	for _, id := range ids {
		if _, err := c.Call(ctx, "item/delete", []any{map[string]any{"_id": id}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	r := <-w.Replies()
	if d := r.Args["docs"].([]any); r.Args["oper"] != "delete" || d[0].(map[string]any)["_id"] != ids[1] {
		t.Fatalf("delete change %+v (want only %s)", r, ids[1])
	}
	// __all ends every task of the connection.
	r, err = c.Call(ctx, "watch/delete", []any{map[string]any{"watch": "__all"}}, nil)
	if err != nil || r.Msg != "All watch tasks deleted." || len(r.Args["watch"].([]any)) != 1 {
		t.Fatalf("%+v %v", r, err)
	}
}

func TestUploadErrors(t *testing.T) {
	srv := limpwiretest.Start(t, limpwire.Options{})
	ctx := testserver.Ctx(t)
	c := dial(t, srv.URL, limpwire.ClientOptions{})
	file := func(content string) map[string]any {
		return map[string]any{"name": "f", "size": 3, "type": "x", "lastModified": 1, "content": content}
	}
	for i, doc := range []map[string]any{
		{"index": "0", "chunk": 1, "total": 1, "file": file("1")},                     // no attr
		{"attr": "f", "index": true, "chunk": 1, "total": 1, "file": file("1")},       // index type
		{"attr": "f", "index": "0", "chunk": 0, "total": 1, "file": file("1")},        // chunk 0
		{"attr": "f", "index": "0", "chunk": 2, "total": 1, "file": file("1")},        // chunk > total
		{"attr": "f", "index": "0", "chunk": 1.5, "total": 2, "file": file("1")},      // fraction
		{"attr": "f", "index": "0", "chunk": 1, "total": 1, "file": "x"},              // file type
		{"attr": "f", "index": "0", "chunk": 1, "total": 1, "file": file("1,256")},    // byte range
		{"attr": "f", "index": "0", "chunk": 1, "total": 1, "file": file("1,,2")},     // empty number
		{"attr": "f", "index": "0", "chunk": 2, "total": 2, "file": file("1,2")},      // chunk 2 first
		{"attr": "f", "index": "0", "chunk": 1, "total": 1, "file": map[string]any{}}, // no content
	} {
		if _, err := c.Call(ctx, "file/upload", nil, doc); !errors.Is(err, limpwire.ErrInvalidUpload) {
			t.Errorf("doc %d: %v", i, err)
		}
	}
	// Chunks out of order after a good first chunk.
	if _, err := c.Call(ctx, "file/upload", nil, map[string]any{"attr": "f", "index": 0, "chunk": 1, "total": 3, "file": file("1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Call(ctx, "file/upload", nil, map[string]any{"attr": "f", "index": 0, "chunk": 3, "total": 3, "file": file("1")}); !errors.Is(err, limpwire.ErrInvalidUpload) {
		t.Errorf("chunk 3 after 1: %v", err)
	}
	// The incomplete file is dropped when the call comes.
	r, err := c.Call(ctx, "blob/create", nil, map[string]any{"files": []any{}, "f": []any{}})
	if err != nil || len(r.Args["docs"].([]any)[0].(map[string]any)["files"].([]any)) != 0 {
		t.Fatalf("%+v %v", r, err)
	}
}

func TestSessionExpires(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	srv := limpwiretest.Start(t, limpwire.Options{Now: clock, SessionLifetime: time.Hour})
	ctx := testserver.Ctx(t)
	c := dial(t, srv.URL, limpwire.ClientOptions{Now: clock})
	s, err := c.Auth(ctx, "email", limpwiretest.AdminEmail, limpwiretest.AdminPassword)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	now = now.Add(59 * time.Minute)
	mu.Unlock()
	c2 := dial(t, srv.URL, limpwire.ClientOptions{Now: clock})
	if _, err := c2.Reauth(ctx, s.ID, s.Token); err != nil { // extends the expiry by an hour
		t.Fatal(err)
	}
	mu.Lock()
	now = now.Add(59 * time.Minute)
	mu.Unlock()
	c3 := dial(t, srv.URL, limpwire.ClientOptions{Now: clock})
	if _, err := c3.Reauth(ctx, s.ID, s.Token); err != nil {
		t.Fatalf("reauth within the extended expiry: %v", err)
	}
	mu.Lock()
	now = now.Add(61 * time.Minute)
	mu.Unlock()
	c4 := dial(t, srv.URL, limpwire.ClientOptions{Now: clock})
	if _, err := c4.Reauth(ctx, s.ID, s.Token); !errors.Is(err, limpwire.ErrSessionExpired) {
		t.Fatalf("reauth after expiry: %v", err)
	}
}

// TestCallsDuringAuth: calls made while an auth is in flight wait for its
// reply and are signed with the right key: none is refused.
func TestCallsDuringAuth(t *testing.T) {
	srv := limpwiretest.Start(t, limpwire.Options{QuotaAnon: -1, QuotaAuth: -1, QuotaIP: -1})
	ctx := testserver.Ctx(t)
	for range 5 {
		c := dial(t, srv.URL, limpwire.ClientOptions{Heartbeat: -1})
		var wg sync.WaitGroup
		errs := make(chan error, 100)
		for range 8 {
			wg.Go(func() {
				for range 10 {
					if _, err := c.Call(ctx, "heart/beat", nil, nil); err != nil {
						errs <- err
					}
				}
			})
		}
		wg.Go(func() {
			if _, err := c.Auth(ctx, "email", limpwiretest.AdminEmail, limpwiretest.AdminPassword); err != nil {
				errs <- err
			}
			if err := c.Signout(ctx); err != nil {
				errs <- err
			}
		})
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	}
}

func TestMaxConnections(t *testing.T) {
	srv := limpwiretest.Start(t, limpwire.Options{MaxConnections: 2})
	ctx := testserver.Ctx(t)
	a := dial(t, srv.URL, limpwire.ClientOptions{})
	dial(t, srv.URL, limpwire.ClientOptions{})
	if _, err := limpwire.Dial(ctx, srv.URL, limpwire.ClientOptions{}); wsconn.HandshakeStatus(err) != http.StatusServiceUnavailable {
		t.Fatalf("third connection: %v", err)
	}
	a.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := limpwire.Dial(ctx, srv.URL, limpwire.ClientOptions{})
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no room after a close: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestCloseWhileReconnecting: Close ends a redial to a server that
// accepts TCP and never answers the handshake.
func TestCloseWhileReconnecting(t *testing.T) {
	srv := limpwiretest.Start(t, limpwire.Options{})
	proxy, url := newCutProxy(t, srv.URL)
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	c, err := limpwire.Dial(testserver.Ctx(t), url, limpwire.ClientOptions{Reconnect: true, ReconnectDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	proxy.retarget(silent.Addr().String())
	proxy.cut()
	for st := range c.States() {
		if st == limpwire.StateDisconnected {
			break
		}
	}
	time.Sleep(50 * time.Millisecond) // the redial is under way
	done := make(chan struct{})
	go func() { c.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close waits for the redial")
	}
}

func TestDialRestoresCachedSession(t *testing.T) {
	srv := limpwiretest.Start(t, limpwire.Options{})
	ctx := testserver.Ctx(t)
	s := adminClient(t, srv.URL).Session()
	c := dial(t, srv.URL, limpwire.ClientOptions{Session: &limpwire.Session{ID: s.ID, Token: s.Token}})
	if got := c.Session(); got == nil || got.ID != s.ID {
		t.Fatalf("session %+v", got)
	}
	if _, err := c.Call(ctx, "user/read", nil, nil); err != nil {
		t.Fatal(err)
	}
	// A refused session: Dial succeeds, anonymous.
	c2 := dial(t, srv.URL, limpwire.ClientOptions{Session: &limpwire.Session{ID: s.ID, Token: "stale"}})
	if c2.Session() != nil {
		t.Fatal("a refused session was kept")
	}
	if _, err := c2.Call(ctx, "user/read", nil, nil); !errors.Is(err, limpwire.ErrForbidden) {
		t.Fatal(err)
	}
}
