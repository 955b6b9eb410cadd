package httpipc_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/appwire/appwire/httpipc"
)

func TestPeerCheck(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("peer credentials are implemented on Linux only")
	}
	me := uint32(os.Getuid())
	for _, tc := range []struct {
		name  string
		check httpipc.PeerCheck
		ok    bool
	}{
		{"same user", httpipc.SameUser(), true},
		{"listed uid", httpipc.RequireUID(me+1, me), true},
		{"other uid", httpipc.RequireUID(me + 1), false},
		{"check fails", func(httpipc.Cred) error { return errors.New("no signature") }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(sockDir(t), "s")
			ln, err := net.Listen("unix", path)
			if err != nil {
				t.Fatal(err)
			}
			var served atomic.Int32
			refused := make(chan error, 4)
			var seen atomic.Value
			srv := &httpipc.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				served.Add(1)
				io.WriteString(w, "hello")
			})}
			checked := httpipc.CheckPeers(ln, func(c httpipc.Cred) error {
				seen.Store(c)
				return tc.check(c)
			}, func(err error) { refused <- err })
			serveListener(t, srv, checked)

			// A raw connection: a refused one is closed before the server
			// writes anything (not even its HELLO).
			raw, err := net.Dial("unix", path)
			if err != nil {
				t.Fatal(err)
			}
			raw.SetReadDeadline(time.Now().Add(time.Minute))
			n, err := raw.Read(make([]byte, 1))
			raw.Close()
			if tc.ok && n != 1 {
				t.Fatalf("admitted peer got no HELLO: %d, %v", n, err)
			}
			if !tc.ok && (n != 0 || err != io.EOF) {
				t.Fatalf("refused peer read %d bytes, %v; want EOF at once", n, err)
			}
			if c, _ := seen.Load().(httpipc.Cred); c.UID != me || int(c.PID) != os.Getpid() {
				t.Errorf("Cred = %+v, want uid %d pid %d", c, me, os.Getpid())
			}

			tr := httpipc.UnixTransport(path)
			defer tr.Close()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, "GET", "http://ipc.localhost/", nil)
			resp, err := (&http.Client{Transport: tr}).Do(req)
			if tc.ok {
				if err != nil {
					t.Fatal(err)
				}
				if body := readAll(t, resp); body != "hello" {
					t.Fatalf("body %q", body)
				}
				return
			}
			if err == nil {
				resp.Body.Close()
				t.Fatal("refused peer got a response")
			}
			if served.Load() != 0 {
				t.Error("the handler ran for a refused peer")
			}
			if err := <-refused; !errors.Is(err, httpipc.ErrUnauthorizedPeer) {
				t.Errorf("refusal %v, want ErrUnauthorizedPeer", err)
			}
		})
	}
}

// serveListener serves srv on ln until the test ends.
func serveListener(t *testing.T, srv *httpipc.Server, ln net.Listener) {
	t.Helper()
	srv.ErrorLog = discardLog()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ctx, ln)
	}()
	t.Cleanup(func() {
		cancel()
		srv.Close()
		<-done
	})
}

func TestPeerCredNotUnix(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := httpipc.PeerCred(c); !errors.Is(err, httpipc.ErrPeerCredUnsupported) {
		t.Errorf("PeerCred(tcp) = %v, want ErrPeerCredUnsupported", err)
	}
}
