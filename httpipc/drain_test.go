package httpipc_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/appwire/appwire/httpipc"
)

// inFlight sends n GETs of path through the bridge at base and returns
// a channel that yields each one's status and body.
func inFlight(t *testing.T, base, path string, n int) <-chan string {
	t.Helper()
	hc := client(t)
	out := make(chan string, n)
	for i := 0; i < n; i++ {
		go func() {
			resp, err := hc.Get(base + path)
			if err != nil {
				out <- "error: " + err.Error()
				return
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				out <- fmt.Sprintf("%d, body error: %v", resp.StatusCode, err)
				return
			}
			out <- fmt.Sprintf("%d %s", resp.StatusCode, b)
		}()
	}
	return out
}

// When Serve's ctx ends with DrainTimeout set (a SIGTERM handler cancels
// it), requests in flight through the bridge finish with their real
// answers: none is cut off or answered 502 by the bridge.
func TestServeDrainsOnCancel(t *testing.T) {
	const n = 8
	var started sync.WaitGroup
	started.Add(n)
	release := make(chan struct{})
	srv := &httpipc.Server{
		DrainTimeout: 10 * time.Second,
		ErrorLog:     discardLog(),
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			started.Done()
			<-release
			io.WriteString(w, "done")
		}),
	}
	path := filepath.Join(sockDir(t), "s")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	base := startBridge(t, httpipc.UnixTransport(path), httpipc.BridgeOptions{})
	results := inFlight(t, base, "/", n)
	started.Wait()
	cancel() // as on SIGTERM
	// The listener is closed at once: a new client cannot connect.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.Dial("unix", path)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("still accepting after the drain began")
		}
		time.Sleep(5 * time.Millisecond)
	}
	select {
	case err := <-served:
		t.Fatalf("Serve returned %v with %d requests in flight", err, n)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	for i := 0; i < n; i++ {
		if got := <-results; got != "200 done" {
			t.Errorf("in-flight request: %q, want %q", got, "200 done")
		}
	}
	if err := <-served; !errors.Is(err, context.Canceled) {
		t.Errorf("Serve = %v, want context.Canceled", err)
	}
}

// Past DrainTimeout, what is still open is closed: the drain is bounded.
func TestServeDrainTimeout(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	entered := make(chan struct{}, 1)
	srv := &httpipc.Server{
		DrainTimeout: 100 * time.Millisecond,
		ErrorLog:     discardLog(),
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			entered <- struct{}{}
			select {
			case <-block:
			case <-r.Context().Done():
			}
		}),
	}
	path := filepath.Join(sockDir(t), "s")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	tr := httpipc.UnixTransport(path)
	defer tr.Close()
	got := make(chan error, 1)
	go func() {
		resp, err := (&http.Client{Transport: tr}).Get("http://" + httpipc.DefaultHost + "/")
		if err == nil {
			resp.Body.Close()
		}
		got <- err
	}()
	<-entered
	cancel()
	if err := <-served; !errors.Is(err, context.Canceled) {
		t.Errorf("Serve = %v, want context.Canceled", err)
	}
	if err := <-got; err == nil {
		t.Error("a request still open after DrainTimeout succeeded; want it cut off")
	}
}

// A real SIGTERM: the app (this test binary in child mode) stops on the
// signal with requests in flight through the bridge; each gets its answer
// and the app exits 0 once they are done.
func TestSIGTERMDrainsInFlight(t *testing.T) {
	const n = 6
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(sockDir(t), "app.sock")
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), envChild+"=drain", httpipc.EnvSocket+"="+path)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	waited := make(chan struct{})
	go func() { exited <- cmd.Wait(); close(waited) }()
	defer func() {
		cmd.Process.Kill() // if it is still running
		<-waited
	}()
	tr := httpipc.UnixTransport(path)
	defer tr.Close()
	base := startBridge(t, tr, httpipc.BridgeOptions{})
	hc := client(t)
	inflight := func() int {
		resp, err := hc.Get(base + "/inflight")
		if err != nil {
			return -1
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		v, err := strconv.Atoi(string(b))
		if err != nil {
			return -1
		}
		return v
	}
	for deadline := time.Now().Add(10 * time.Second); inflight() < 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the app did not come up")
		}
	}
	results := inFlight(t, base, "/wait", n)
	for deadline := time.Now().Add(10 * time.Second); inflight() < n; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("only %d requests reached the app", inflight())
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if got := <-results; got != "200 done" {
			t.Errorf("in-flight request: %q, want %q", got, "200 done")
		}
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("app exit: %v, want 0", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("the app did not exit after draining")
	}
}

// childDrain is the app of TestSIGTERMDrainsInFlight: it serves until
// SIGTERM with a DrainTimeout; /wait answers only after the signal.
func childDrain() int {
	ctx, stop := signalContext()
	defer stop()
	ln, err := httpipc.ListenUnix(context.Background(), os.Getenv(httpipc.EnvSocket))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 5
	}
	var n atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/inflight", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, strconv.FormatInt(n.Load(), 10))
	})
	mux.HandleFunc("/wait", func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		<-ctx.Done()                      // the signal came
		time.Sleep(50 * time.Millisecond) // still working after it
		io.WriteString(w, "done")
	})
	srv := &httpipc.Server{Handler: mux, DrainTimeout: 10 * time.Second}
	if err := srv.Serve(ctx, ln); !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, err)
		return 6
	}
	return 0
}

// ServeIdle exits idle after the last request, although the client keeps
// its connection open (the server's IdleTimeout is the 90 s default);
// requests closer together than idle, and a request longer than idle,
// keep it serving.
func TestServeIdleCountsFromLastRequest(t *testing.T) {
	const idle = 300 * time.Millisecond
	srv := &httpipc.Server{
		ErrorLog: discardLog(),
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/long" {
				time.Sleep(2 * idle)
			}
			io.WriteString(w, "ok")
		}),
	}
	path := filepath.Join(sockDir(t), "s")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	exited := make(chan time.Time, 1)
	served := make(chan error, 1)
	go func() {
		err := httpipc.ServeIdle(context.Background(), srv, ln, idle)
		exited <- time.Now()
		served <- err
	}()
	tr := httpipc.UnixTransport(path)
	defer tr.Close()
	hc := &http.Client{Transport: tr}
	get := func(p string) {
		t.Helper()
		resp, err := hc.Get("http://" + httpipc.DefaultHost + p)
		if err != nil {
			t.Fatalf("GET %s: %v", p, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != "ok" {
			t.Fatalf("GET %s: %q", p, b)
		}
	}
	for i := 0; i < 4; i++ {
		get("/")
		time.Sleep(idle / 3)
	}
	get("/long")
	last := time.Now()
	select {
	case at := <-exited:
		t.Fatalf("ServeIdle returned %v after the last request, before idle", at.Sub(last))
	case <-time.After(idle / 2):
	}
	var at time.Time
	select {
	case at = <-exited:
	case <-time.After(idle + 10*time.Second):
		t.Fatal("ServeIdle did not return after the idle period (is it waiting for the client's connection?)")
	}
	if err := <-served; err != nil {
		t.Errorf("ServeIdle = %v", err)
	}
	// The handler's return is at most a moment before our read of the
	// response: it cannot have exited much before idle.
	if d := at.Sub(last); d < idle-idle/5 {
		t.Errorf("exited %v after the last request, want about %v", d, idle)
	}
	if _, err := net.Dial("unix", path); err == nil || !strings.Contains(err.Error(), "connect") {
		t.Errorf("dial after idle exit: %v, want refused", err)
	}
}
