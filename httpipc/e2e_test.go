package httpipc

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// rig is a server and a client Transport connected by one carrier.
type rig struct {
	srv *Server
	tr  *Transport
	hc  *http.Client
	// kill drops the carrier under the current connection (the peer
	// "dies" without GOAWAY).
	kill func()
}

type carrierKind string

const (
	unixCarrier carrierKind = "unix"
	memCarrier  carrierKind = "mem"
)

var carriers = []carrierKind{unixCarrier, memCarrier}

// newRig serves h over kind. Everything is closed at the end of the test,
// and the test fails if goroutines are left behind.
func newRig(t *testing.T, kind carrierKind, h http.Handler, opts Options) *rig {
	t.Helper()
	checkLeaks(t)
	srv := &Server{Handler: h, Options: opts, ErrorLog: quietLog(t)}
	r := &rig{srv: srv}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var mu sync.Mutex
	var live []io.Closer
	track := func(c io.Closer) {
		mu.Lock()
		live = append(live, c)
		mu.Unlock()
	}
	r.kill = func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range live {
			c.Close()
		}
		live = nil
	}
	switch kind {
	case unixCarrier:
		path := filepath.Join(shortTempDir(t), "s")
		l, err := net.Listen("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			srv.Serve(ctx, l)
		}()
		r.tr = UnixTransport(path)
		dial := r.tr.DialStream
		r.tr.DialStream = func(ctx context.Context) (io.ReadWriteCloser, error) {
			c, err := dial(ctx)
			if err == nil {
				track(c)
			}
			return c, err
		}
	case memCarrier:
		r.tr = &Transport{DialMessage: func(context.Context) (MessageConn, error) {
			a, b := NewMemPipe(64 << 10)
			track(a)
			wg.Add(1)
			go func() {
				defer wg.Done()
				srv.ServeMessageConn(ctx, b)
			}()
			return a, nil
		}}
	}
	r.tr.Options = opts
	r.hc = &http.Client{Transport: r.tr}
	t.Cleanup(func() {
		r.tr.Close()
		cancel()
		srv.Close()
		wg.Wait()
	})
	return r
}

func shortTempDir(t testing.TB) string {
	// Unix socket paths are limited to ~100 bytes; t.TempDir can be long.
	dir, err := os.MkdirTemp("", "httpipc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func quietLog(*testing.T) *log.Logger { return log.New(io.Discard, "", 0) }

// checkLeaks fails the test if it leaves goroutines of this package running.
// Registered first, it runs last, after every other cleanup.
func checkLeaks(t *testing.T) {
	t.Cleanup(func() {
		var buf []byte
		for i := 0; i < 200; i++ {
			buf = make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			if !bytes.Contains(buf, []byte("httpipc.(*")) {
				return
			}
			runtime.Gosched()
			time.Sleep(5 * time.Millisecond) // goroutines finishing their exit
		}
		t.Errorf("goroutines left behind:\n%s", leaked(buf))
	})
}

func leaked(stacks []byte) string {
	var out []string
	for _, g := range strings.Split(string(stacks), "\n\n") {
		if strings.Contains(g, "httpipc.(*") && !strings.Contains(g, "checkLeaks") {
			out = append(out, g)
		}
	}
	return strings.Join(out, "\n\n")
}

func forEachCarrier(t *testing.T, f func(t *testing.T, kind carrierKind)) {
	for _, k := range carriers {
		t.Run(string(k), func(t *testing.T) { f(t, k) })
	}
}

func echoHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("X-Method", r.Method)
		w.Header().Set("X-Host", r.Host)
		w.Header().Set("X-Len", fmt.Sprint(r.ContentLength))
		w.Write(b)
	})
}

func TestGetPost(t *testing.T) {
	forEachCarrier(t, func(t *testing.T, kind carrierKind) {
		r := newRig(t, kind, echoHandler(), Options{})
		resp, err := r.hc.Get("http://example.test/hello?x=1")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || len(body) != 0 || resp.Header.Get("X-Method") != "GET" ||
			resp.Header.Get("X-Host") != "example.test" || resp.Header.Get("X-Len") != "0" {
			t.Fatalf("GET: %d %q %v", resp.StatusCode, body, resp.Header)
		}
		for _, size := range []int{5, 1 << 20} {
			in := bytes.Repeat([]byte("abcdefghij"), size/10+1)[:size]
			resp, err := r.hc.Post("http://ipc.localhost/echo", "application/octet-stream", bytes.NewReader(in))
			if err != nil {
				t.Fatal(err)
			}
			out, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || !bytes.Equal(out, in) {
				t.Fatalf("POST %d bytes: got %d bytes, %v", size, len(out), err)
			}
			if got := resp.Header.Get("X-Len"); got != fmt.Sprint(size) {
				t.Errorf("server saw ContentLength %s, want %d", got, size)
			}
			if resp.ContentLength != int64(size) && size < 4096 {
				t.Errorf("response ContentLength %d, want %d", resp.ContentLength, size)
			}
		}
	})
}

func TestConcurrentRequests(t *testing.T) {
	forEachCarrier(t, func(t *testing.T, kind carrierKind) {
		r := newRig(t, kind, echoHandler(), Options{})
		var wg sync.WaitGroup
		errs := make(chan error, 100)
		for i := 0; i < 100; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				msg := strings.Repeat(fmt.Sprint(i), 1000+i)
				resp, err := r.hc.Post("http://ipc.localhost/", "text/plain", strings.NewReader(msg))
				if err != nil {
					errs <- err
					return
				}
				defer resp.Body.Close()
				b, err := io.ReadAll(resp.Body)
				if err != nil || string(b) != msg {
					errs <- fmt.Errorf("request %d: %d bytes, %v", i, len(b), err)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}

// TestStreamingResponse reads the response head and first chunk while the
// handler is still running.
func TestStreamingResponse(t *testing.T) {
	forEachCarrier(t, func(t *testing.T, kind carrierKind) {
		release := make(chan struct{})
		r := newRig(t, kind, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "first\n")
			w.(http.Flusher).Flush()
			<-release
			io.WriteString(w, "second\n")
		}), Options{})
		resp, err := r.hc.Get("http://ipc.localhost/")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		buf := make([]byte, 6)
		if _, err := io.ReadFull(resp.Body, buf); err != nil || string(buf) != "first\n" {
			t.Fatalf("first chunk %q, %v", buf, err)
		}
		close(release)
		rest, err := io.ReadAll(resp.Body)
		if err != nil || string(rest) != "second\n" {
			t.Fatalf("rest %q, %v", rest, err)
		}
	})
}

func TestInformationalAndTrailers(t *testing.T) {
	forEachCarrier(t, func(t *testing.T, kind carrierKind) {
		r := newRig(t, kind, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Link", "</style.css>; rel=preload")
			w.WriteHeader(http.StatusEarlyHints)
			w.Header().Del("Link")
			w.Header().Set("Trailer", "X-Checksum")
			w.WriteHeader(200)
			b, _ := io.ReadAll(r.Body)
			sum := sha256.Sum256(b)
			w.Write(b)
			w.Header().Set("X-Checksum", fmt.Sprintf("%x", sum[:4]))
			w.Header().Set(http.TrailerPrefix+"X-Req-Trailer", r.Trailer.Get("X-Client"))
		}), Options{})
		var got1xx []int
		var link string
		trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
			got1xx = append(got1xx, code)
			link = h.Get("Link")
			return nil
		}}
		ctx := httptrace.WithClientTrace(context.Background(), trace)
		req, _ := http.NewRequestWithContext(ctx, "POST", "http://ipc.localhost/", io.NopCloser(strings.NewReader("payload")))
		req.Trailer = http.Header{"X-Client": {"tv"}}
		resp, err := r.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if len(got1xx) != 1 || got1xx[0] != 103 || link != "</style.css>; rel=preload" {
			t.Errorf("1xx: %v %q", got1xx, link)
		}
		if _, ok := resp.Trailer["X-Checksum"]; !ok {
			t.Errorf("declared trailer missing before EOF: %v", resp.Trailer)
		}
		b, err := io.ReadAll(resp.Body)
		if err != nil || string(b) != "payload" {
			t.Fatalf("body %q %v", b, err)
		}
		sum := sha256.Sum256(b)
		if got := resp.Trailer.Get("X-Checksum"); got != fmt.Sprintf("%x", sum[:4]) {
			t.Errorf("trailer X-Checksum %q, all %v", got, resp.Trailer)
		}
		if got := resp.Trailer.Get("X-Req-Trailer"); got != "tv" {
			t.Errorf("request trailer echoed %q", got)
		}
	})
}

// TestCancelMidBody cancels a request while its response streams; the
// stream is reset and the connection serves the next request.
func TestCancelMidBody(t *testing.T) {
	forEachCarrier(t, func(t *testing.T, kind carrierKind) {
		handlerCtxDone := make(chan struct{})
		r := newRig(t, kind, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/ok" {
				io.WriteString(w, "ok")
				return
			}
			io.WriteString(w, "partial")
			w.(http.Flusher).Flush()
			<-r.Context().Done()
			close(handlerCtxDone)
		}), Options{})
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, "GET", "http://ipc.localhost/slow", nil)
		resp, err := r.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 7)
		if _, err := io.ReadFull(resp.Body, buf); err != nil {
			t.Fatal(err)
		}
		cancel()
		_, err = io.ReadAll(resp.Body)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("read after cancel: %v, want context.Canceled", err)
		}
		var se *StreamError
		if !errors.As(err, &se) || se.Code != ErrCodeCancel {
			t.Errorf("read after cancel: %v, want a StreamError CANCEL", err)
		}
		resp.Body.Close()
		<-handlerCtxDone // the RESET reached the handler
		resp, err = r.hc.Get("http://ipc.localhost/ok")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != "ok" {
			t.Fatalf("next request: %q", b)
		}
	})
}

func TestHandlerPanic(t *testing.T) {
	forEachCarrier(t, func(t *testing.T, kind carrierKind) {
		r := newRig(t, kind, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Secret", "leak")
			io.WriteString(w, "half")
			if r.URL.Path == "/late" {
				w.(http.Flusher).Flush()
			}
			panic("database password is hunter2")
		}), Options{})
		resp, err := r.hc.Get("http://ipc.localhost/")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 500 || strings.Contains(string(b), "hunter2") || strings.Contains(string(b), "half") ||
			resp.Header.Get("X-Secret") != "" {
			t.Errorf("panic: %d %q %v", resp.StatusCode, b, resp.Header)
		}
		// After the head was sent, the stream is reset instead.
		resp, err = r.hc.Get("http://ipc.localhost/late")
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if code, _ := ErrorCode(err); code != ErrCodeInternal {
			t.Errorf("late panic: %v, want RESET INTERNAL", err)
		}
	})
}

// syncBuffer is a bytes.Buffer safe for a logger and a test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A handler panic is logged as one line naming the stream, the request and
// the recovered value; the goroutine stack follows only with PanicStacks.
func TestHandlerPanicLog(t *testing.T) {
	for _, stacks := range []bool{false, true} {
		t.Run(fmt.Sprintf("stacks=%v", stacks), func(t *testing.T) {
			r := newRig(t, memCarrier, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				panic("boom\nsecond line")
			}), Options{})
			var logged syncBuffer
			r.srv.ErrorLog = log.New(&logged, "", 0)
			r.srv.PanicStacks = stacks
			resp, err := r.hc.Get("http://ipc.localhost/p?q=1")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			out := logged.String()
			want := `httpipc: handler panic on stream 1 (GET /p): boom\nsecond line` + "\n"
			if !stacks {
				if out != want {
					t.Errorf("log:\n%s\nwant the one line\n%s", out, want)
				}
				return
			}
			if !strings.HasPrefix(out, strings.TrimSuffix(want, "\n")+"\ngoroutine ") || !strings.Contains(out, "TestHandlerPanicLog") {
				t.Errorf("log with PanicStacks:\n%s", out)
			}
		})
	}
}

func TestPeerGone(t *testing.T) {
	forEachCarrier(t, func(t *testing.T, kind carrierKind) {
		inHandler := make(chan struct{})
		r := newRig(t, kind, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/ok" {
				return
			}
			w.WriteHeader(200)
			w.(http.Flusher).Flush()
			close(inHandler)
			<-r.Context().Done()
		}), Options{})
		resp, err := r.hc.Get("http://ipc.localhost/")
		if err != nil {
			t.Fatal(err)
		}
		<-inHandler
		r.kill()
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if !errors.Is(err, ErrPeerGone) {
			t.Fatalf("read after kill: %v, want ErrPeerGone", err)
		}
		// The Transport redials.
		resp, err = r.hc.Get("http://ipc.localhost/ok")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	})
}

func TestShutdownGoAway(t *testing.T) {
	forEachCarrier(t, func(t *testing.T, kind carrierKind) {
		inHandler := make(chan struct{})
		release := make(chan struct{})
		r := newRig(t, kind, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			close(inHandler)
			<-release
			io.WriteString(w, "done")
		}), Options{})
		type result struct {
			body string
			err  error
		}
		res := make(chan result)
		go func() {
			resp, err := r.hc.Get("http://ipc.localhost/")
			if err != nil {
				res <- result{"", err}
				return
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			res <- result{string(b), err}
		}()
		<-inHandler
		shut := make(chan error)
		go func() { shut <- r.srv.Shutdown(context.Background()) }()
		// Wait until the client saw the GOAWAY.
		for !r.tr.goneAway() {
			runtime.Gosched()
		}
		close(release)
		if got := <-res; got.err != nil || got.body != "done" {
			t.Errorf("in-flight request: %q %v", got.body, got.err)
		}
		if err := <-shut; err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
}

// goneAway reports whether the current connection received a GOAWAY.
func (t *Transport) goneAway() bool {
	t.mu.Lock()
	c := t.cc
	t.mu.Unlock()
	if c == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.goAwayRecv
}

func TestRequestBodyLimit(t *testing.T) {
	forEachCarrier(t, func(t *testing.T, kind carrierKind) {
		r := newRig(t, kind, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, err := io.ReadAll(r.Body)
			if !errors.Is(err, ErrMessageTooLarge) {
				t.Errorf("handler read: %v, want ErrMessageTooLarge", err)
			}
		}), Options{})
		r.srv.MaxRequestBodySize = 1000
		_, err := r.hc.Post("http://ipc.localhost/", "", bytes.NewReader(make([]byte, 5000)))
		if !errors.Is(err, ErrMessageTooLarge) {
			t.Fatalf("POST: %v, want ErrMessageTooLarge", err)
		}
		if code, _ := ErrorCode(err); code != ErrCodeMessageTooLarge {
			t.Errorf("code %v", code)
		}
	})
}

func TestTooManyStreams(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 10)
	r := newRig(t, memCarrier, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started <- struct{}{}
		<-release
	}), Options{MaxConcurrentStreams: 2})
	r.tr.FailFast = true
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := r.hc.Get("http://ipc.localhost/")
			if err == nil {
				resp.Body.Close()
			}
		}()
	}
	<-started
	<-started
	_, err := r.hc.Get("http://ipc.localhost/")
	if !errors.Is(err, ErrTooManyStreams) {
		t.Errorf("third request: %v, want ErrTooManyStreams", err)
	}
	// Without FailFast the request waits, and gives up with its context.
	r.tr.FailFast = false
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://ipc.localhost/", nil)
	done := make(chan error)
	go func() {
		_, err := r.hc.Do(req)
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("waiting request: %v, want context.Canceled", err)
	}
	close(release)
	wg.Wait()
}
