package httpipc_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/appwire/appwire/httpipc"
)

// sockDir is a short temporary directory: unix socket paths are limited to
// about 100 bytes, and t.TempDir can be longer.
func sockDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "hipc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func discardLog() *log.Logger { return log.New(io.Discard, "", 0) }

// serveUnix serves h over httpipc on a fresh unix socket until the test
// ends, and returns the socket path.
func serveUnix(t *testing.T, srv *httpipc.Server) string {
	t.Helper()
	path := filepath.Join(sockDir(t), "s")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	if srv.ErrorLog == nil {
		srv.ErrorLog = discardLog()
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		srv.Serve(ctx, ln)
	}()
	t.Cleanup(func() {
		cancel()
		srv.Close()
		wg.Wait()
	})
	return path
}

// startBridge serves a bridge over rt on a free loopback port until the
// test ends, and returns its base URL.
func startBridge(t *testing.T, rt http.RoundTripper, opts httpipc.BridgeOptions) string {
	t.Helper()
	if opts.ErrorLog == nil {
		opts.ErrorLog = discardLog()
	}
	b := httpipc.NewBridge(rt, opts)
	ctx, cancel := context.WithCancel(context.Background())
	ln, err := b.Listen(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- b.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Bridge.Serve = %v, want context.Canceled", err)
		}
		if c, ok := rt.(io.Closer); ok {
			c.Close()
		}
	})
	return "http://" + ln.Addr().String()
}

// client is a plain net/http client that does not keep connections.
func client(t *testing.T) *http.Client {
	tr := &http.Transport{DisableKeepAlives: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestBridgeForwards(t *testing.T) {
	path := serveUnix(t, &httpipc.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Host", r.Host)
		w.Header().Set("X-Forwarded-Seen", r.Header.Get("Forwarded"))
		w.Header().Set("X-Xff-Seen", r.Header.Get("X-Forwarded-For"))
		fmt.Fprintf(w, "%s %s %s", r.Method, r.URL.RequestURI(), body)
	})})
	for _, fwd := range []bool{false, true} {
		t.Run(fmt.Sprint("forwarded=", fwd), func(t *testing.T) {
			base := startBridge(t, httpipc.UnixTransport(path), httpipc.BridgeOptions{Forwarded: fwd})
			hc := client(t)
			resp, err := hc.Get(base + "/hello?x=1")
			if err != nil {
				t.Fatal(err)
			}
			if got := readAll(t, resp); resp.StatusCode != 200 || got != "GET /hello?x=1 " {
				t.Fatalf("GET: %s %q", resp.Status, got)
			}
			host := strings.TrimPrefix(base, "http://")
			if got := resp.Header.Get("X-Host"); got != host {
				t.Errorf("server saw Host %q, want %q", got, host)
			}
			want := ""
			if fwd {
				want = `proto=http;host="` + host + `"`
			}
			if got := resp.Header.Get("X-Forwarded-Seen"); got != want {
				t.Errorf("Forwarded = %q, want %q", got, want)
			}

			// Client-sent forwarding fields never reach the server app,
			// and a named host is kept.
			req, _ := http.NewRequest("POST", base+"/p", strings.NewReader("body"))
			req.Host = httpipc.DefaultHost
			req.Header.Set("Forwarded", "for=evil")
			req.Header.Set("X-Forwarded-For", "6.6.6.6")
			resp, err = hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			if got := readAll(t, resp); got != "POST /p body" {
				t.Errorf("POST: %q", got)
			}
			if got := resp.Header.Get("X-Host"); got != httpipc.DefaultHost {
				t.Errorf("server saw Host %q, want %q", got, httpipc.DefaultHost)
			}
			if fwd {
				want = `proto=http;host=ipc.localhost`
			}
			if got := resp.Header.Get("X-Forwarded-Seen"); got != want {
				t.Errorf("Forwarded = %q, want %q", got, want)
			}
			if got := resp.Header.Get("X-Xff-Seen"); got != "" {
				t.Errorf("X-Forwarded-For reached the server: %q", got)
			}
		})
	}
}

// A server app's own 500 passes through; a transport failure is a 502
// whose body says nothing about the failure.
func TestBridgePeerDown(t *testing.T) {
	path := filepath.Join(sockDir(t), "nobody-listens")
	base := startBridge(t, httpipc.UnixTransport(path), httpipc.BridgeOptions{})
	resp, err := client(t).Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, resp)
	if resp.StatusCode != http.StatusBadGateway || body != "Bad Gateway\n" {
		t.Fatalf("got %s %q, want 502 with only the status text", resp.Status, body)
	}
	if strings.Contains(body, path) {
		t.Errorf("body leaks the socket path: %q", body)
	}
}

func TestBridgePassesServerErrors(t *testing.T) {
	path := serveUnix(t, &httpipc.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "app says no", http.StatusInternalServerError)
	})})
	base := startBridge(t, httpipc.UnixTransport(path), httpipc.BridgeOptions{})
	resp, err := client(t).Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(t, resp); resp.StatusCode != 500 || body != "app says no\n" {
		t.Fatalf("got %s %q", resp.Status, body)
	}
}

// The handler never answers; only the bridge's Timeout ends the request.
func TestBridgeTimeout(t *testing.T) {
	path := serveUnix(t, &httpipc.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // RESET(CANCEL) from the bridge's transport
	})})
	base := startBridge(t, httpipc.UnixTransport(path), httpipc.BridgeOptions{Timeout: 50 * time.Millisecond})
	resp, err := client(t).Get(base + "/slow")
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(t, resp); resp.StatusCode != http.StatusGatewayTimeout || body != "Gateway Timeout\n" {
		t.Fatalf("got %s %q, want 504", resp.Status, body)
	}
}

// Each write of the server app reaches the client before the next is
// made: the handler waits for the client to have read the first part.
func TestBridgeStreaming(t *testing.T) {
	gotFirst := make(chan struct{})
	path := serveUnix(t, &httpipc.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: one\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-gotFirst:
		case <-r.Context().Done():
			return
		}
		io.WriteString(w, "data: two\n\n")
	})})
	base := startBridge(t, httpipc.UnixTransport(path), httpipc.BridgeOptions{})
	resp, err := client(t).Get(base + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	first := make([]byte, len("data: one\n\n"))
	if _, err := io.ReadFull(resp.Body, first); err != nil || string(first) != "data: one\n\n" {
		t.Fatalf("first event %q, %v", first, err)
	}
	close(gotFirst)
	if rest := readAll(t, resp); rest != "data: two\n\n" {
		t.Fatalf("rest %q", rest)
	}
}

func TestBridgeLimits(t *testing.T) {
	path := serveUnix(t, &httpipc.Server{
		MaxRequestBodySize: 1000,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, err := io.ReadAll(r.Body); err != nil {
				return // the server resets the stream with MESSAGE_TOO_LARGE
			}
			io.WriteString(w, "ok")
		}),
	})
	base := startBridge(t, httpipc.UnixTransport(path), httpipc.BridgeOptions{
		MaxRequestHeaderBytes: 2048,
		MaxRequestBodySize:    4000,
	})
	hc := client(t)
	do := func(req *http.Request) (int, string) {
		t.Helper()
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, readAll(t, resp)
	}
	req, _ := http.NewRequest("GET", base+"/", nil)
	req.Header.Set("X-Big", strings.Repeat("a", 3000))
	if got, _ := do(req); got != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("big header: %d, want 431", got)
	}
	// Each 413 says which limit was hit.
	const bridgeSays = "Request Entity Too Large: the request body is above the bridge's limit of 4000 bytes\n"
	req, _ = http.NewRequest("POST", base+"/", strings.NewReader(strings.Repeat("a", 5000)))
	if got, body := do(req); got != http.StatusRequestEntityTooLarge || body != bridgeSays {
		t.Errorf("declared body above the bridge limit: %d %q, want 413 %q", got, body, bridgeSays)
	}
	req, _ = http.NewRequest("POST", base+"/", io.MultiReader(strings.NewReader(strings.Repeat("a", 5000))))
	req.ContentLength = -1 // chunked
	if got, body := do(req); got != http.StatusRequestEntityTooLarge || body != bridgeSays {
		t.Errorf("streamed body above the bridge limit: %d %q, want 413 %q", got, body, bridgeSays)
	}
	const serverSays = "Request Entity Too Large: the server app refused the request body: request content above the server's limit of 1000 bytes\n"
	req, _ = http.NewRequest("POST", base+"/", strings.NewReader(strings.Repeat("a", 2000)))
	if got, body := do(req); got != http.StatusRequestEntityTooLarge || body != serverSays {
		t.Errorf("body above the server app's limit: %d %q, want 413 %q", got, body, serverSays)
	}
	req, _ = http.NewRequest("POST", base+"/", strings.NewReader(strings.Repeat("a", 1000)))
	if got, _ := do(req); got != http.StatusOK {
		t.Errorf("body at the limit: %d, want 200", got)
	}
}

// A bridge without a body limit (negative) forwards what the server app
// accepts, here 9 MiB, above the 8 MiB default.
func TestBridgeNoBodyLimit(t *testing.T) {
	const size = 9 << 20
	path := serveUnix(t, &httpipc.Server{
		MaxRequestBodySize: -1,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n, err := io.Copy(io.Discard, r.Body)
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			fmt.Fprint(w, n)
		}),
	})
	base := startBridge(t, httpipc.UnixTransport(path), httpipc.BridgeOptions{MaxRequestBodySize: -1})
	resp, err := client(t).Post(base+"/", "", bytes.NewReader(make([]byte, size)))
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, resp); resp.StatusCode != 200 || got != fmt.Sprint(size) {
		t.Errorf("9 MiB with no limits: %d %q", resp.StatusCode, got)
	}
}

// DNS rebinding: a request naming a host that is not loopback is refused
// before it reaches the server app.
func TestBridgeHosts(t *testing.T) {
	path := serveUnix(t, &httpipc.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	})})
	rt := httpipc.UnixTransport(path)
	base := startBridge(t, rt, httpipc.BridgeOptions{})
	hc := client(t)
	for host, want := range map[string]int{
		"evil.example:80":     http.StatusMisdirectedRequest,
		"localhost":           http.StatusOK,
		"ipc.localhost":       http.StatusOK,
		"[::1]:8080":          http.StatusOK,
		"127.0.0.1":           http.StatusOK,
		"127.0.0.1.nip.io:80": http.StatusMisdirectedRequest,
	} {
		req, _ := http.NewRequest("GET", base+"/", nil)
		req.Host = host
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		readAll(t, resp)
		if resp.StatusCode != want {
			t.Errorf("Host %s: %d, want %d", host, resp.StatusCode, want)
		}
	}
	open := startBridge(t, httpipc.UnixTransport(path), httpipc.BridgeOptions{AllowedHosts: []string{"api.example"}})
	req, _ := http.NewRequest("GET", open+"/", nil)
	req.Host = "api.example"
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if readAll(t, resp); resp.StatusCode != http.StatusOK {
		t.Errorf("AllowedHosts: %d", resp.StatusCode)
	}
}

func TestBridgeRefusesNonLoopback(t *testing.T) {
	b := httpipc.NewBridge(http.DefaultTransport, httpipc.BridgeOptions{})
	if ln, err := b.Listen(context.Background(), "0.0.0.0:0"); !errors.Is(err, httpipc.ErrNotLoopback) {
		if ln != nil {
			ln.Close()
		}
		t.Fatalf("Listen(0.0.0.0:0) = %v, want ErrNotLoopback", err)
	}
	ln, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Serve(context.Background(), ln); !errors.Is(err, httpipc.ErrNotLoopback) {
		t.Fatalf("Serve(0.0.0.0) = %v, want ErrNotLoopback", err)
	}
	if _, err := ln.Accept(); err == nil {
		t.Error("the refused listener was left open")
	}
	ob := httpipc.NewBridge(http.DefaultTransport, httpipc.BridgeOptions{AllowNonLoopback: true})
	ln, err = ob.Listen(context.Background(), "0.0.0.0:0")
	if err != nil {
		t.Fatalf("AllowNonLoopback: %v", err)
	}
	ln.Close()
}

func TestBridgeStatus(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{context.DeadlineExceeded, 504},
		{fmt.Errorf("wrapped: %w", &httpipc.StreamError{Code: httpipc.ErrCodeCancel, Cause: context.DeadlineExceeded}), 504},
		{&httpipc.ConnectionError{Code: httpipc.ErrCodeTimeout, Err: httpipc.ErrPeerGone}, 504},
		{&httpipc.StreamError{Code: httpipc.ErrCodeMessageTooLarge, Remote: true}, 413},
		{&httpipc.StreamError{Code: httpipc.ErrCodeHeaderLimit, Remote: true}, 431},
		{&httpipc.StreamError{Code: httpipc.ErrCodeHeaderLimit}, 502}, // the response head was too large
		{httpipc.ErrPeerGone, 502},
		{errors.New("dial unix: no such file"), 502},
	} {
		if got := httpipc.BridgeStatus(tc.err); got != tc.want {
			t.Errorf("BridgeStatus(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}
