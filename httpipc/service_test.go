package httpipc_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/appwire/appwire/httpipc"
)

// childRegistry registers one service whose app is this test binary in
// child mode, and stops whatever it started when the test ends.
func childRegistry(t *testing.T, mode string, s httpipc.Service) (*httpipc.Registry, string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := sockDir(t)
	starts := filepath.Join(dir, "starts")
	s.Name = "org.example.app/.Service"
	s.Socket = filepath.Join(dir, "app.sock")
	s.Command = []string{exe}
	s.Env = append(s.Env, envChild+"="+mode, envStartsLog+"="+starts)
	reg := &httpipc.Registry{}
	if testing.Verbose() {
		reg.Output = os.Stderr
	}
	if err := reg.Add(s); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	return reg, starts
}

func startCount(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0
	} else if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "\n")
}

func getPID(ctx context.Context, t *testing.T, hc *http.Client) string {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+httpipc.DefaultHost+"/pid", nil)
	resp, err := hc.Do(req)
	if err != nil {
		t.Error(err)
		return ""
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("GET /pid: %s %v", resp.Status, err)
	}
	return string(b)
}

// The app is started by the first requests (once, though eight race),
// exits by itself when idle, and is started again by the next request.
func TestWakeOnDemand(t *testing.T) {
	reg, starts := childRegistry(t, "serve", httpipc.Service{Env: []string{envChildIdle + "=100ms"}})
	name := "org.example.app/.Service"
	tr, err := reg.Transport(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	hc := &http.Client{Transport: tr}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	pids := make([]string, 8)
	var wg sync.WaitGroup
	for i := range pids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pids[i] = getPID(ctx, t, hc)
		}()
	}
	wg.Wait()
	for _, p := range pids {
		if p != pids[0] || p == "" {
			t.Fatalf("answered by several apps: %v", pids)
		}
	}
	if n := startCount(t, starts); n != 1 {
		t.Fatalf("app started %d times, want 1", n)
	}

	select {
	case <-httpipc.ProcessExited(reg, name):
	case <-ctx.Done():
		t.Fatal("the app did not exit when idle")
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(starts), "app.sock")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket left behind after a clean exit: %v", err)
	}

	again := getPID(ctx, t, hc)
	if again == "" || again == pids[0] {
		t.Fatalf("second wake-up answered by pid %q (first %q)", again, pids[0])
	}
	if n := startCount(t, starts); n != 2 {
		t.Fatalf("app started %d times, want 2", n)
	}
}

// A direct Dial wakes the app too, and many concurrent Dials start one.
func TestWakeConcurrentDials(t *testing.T) {
	reg, starts := childRegistry(t, "serve", httpipc.Service{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := reg.Dial(ctx, "org.example.app/.Service")
			if err != nil {
				errs <- err
				return
			}
			c.Close()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := startCount(t, starts); n != 1 {
		t.Fatalf("app started %d times, want 1", n)
	}
}

func TestWakeNeverReady(t *testing.T) {
	t.Run("ReadyTimeout", func(t *testing.T) {
		reg, _ := childRegistry(t, "never-ready", httpipc.Service{ReadyTimeout: 100 * time.Millisecond})
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, err := reg.Dial(ctx, "org.example.app/.Service")
		var se *httpipc.ServiceError
		if !errors.Is(err, httpipc.ErrServiceNotReady) || !errors.As(err, &se) || se.Service != "org.example.app/.Service" {
			t.Fatalf("err = %v, want a *ServiceError matching ErrServiceNotReady", err)
		}
		if ctx.Err() != nil {
			t.Fatal("the wait outlived ReadyTimeout")
		}
		select {
		case <-httpipc.ProcessExited(reg, "org.example.app/.Service"):
		default:
			t.Error("the app that never got ready was not killed")
		}
	})
	t.Run("ctx", func(t *testing.T) {
		reg, _ := childRegistry(t, "never-ready", httpipc.Service{ReadyTimeout: time.Hour})
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, err := reg.Dial(ctx, "org.example.app/.Service")
		if !errors.Is(err, httpipc.ErrServiceNotReady) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want ErrServiceNotReady and DeadlineExceeded", err)
		}
		// Close kills the app still starting.
		reg.Close()
		<-httpipc.ProcessExited(reg, "org.example.app/.Service")
		if _, err := reg.Dial(context.Background(), "org.example.app/.Service"); !errors.Is(err, httpipc.ErrClosed) {
			t.Errorf("Dial after Close = %v, want ErrClosed", err)
		}
	})
}

func TestWakeAppExits(t *testing.T) {
	reg, _ := childRegistry(t, "exit", httpipc.Service{})
	_, err := reg.Dial(context.Background(), "org.example.app/.Service")
	if !errors.Is(err, httpipc.ErrServiceExited) || !strings.Contains(err.Error(), "exit status 3") {
		t.Fatalf("err = %v, want ErrServiceExited with the exit status", err)
	}
}

func TestRegistryErrors(t *testing.T) {
	reg := &httpipc.Registry{}
	if _, err := reg.Dial(context.Background(), "rogue"); !errors.Is(err, httpipc.ErrUnknownService) {
		t.Errorf("unknown: %v", err)
	}
	if _, err := reg.Transport("rogue"); !errors.Is(err, httpipc.ErrUnknownService) {
		t.Errorf("Transport(unknown): %v", err)
	}
	sock := filepath.Join(sockDir(t), "s")
	if err := reg.Add(httpipc.Service{Name: "manual", Socket: sock}); err != nil {
		t.Fatal(err)
	}
	if err := reg.Add(httpipc.Service{Name: "manual", Socket: sock}); err == nil {
		t.Error("duplicate name accepted")
	}
	_, err := reg.Dial(context.Background(), "manual")
	if !errors.Is(err, httpipc.ErrServiceNotRunning) || !errors.Is(err, syscall.ENOENT) {
		t.Errorf("no command, not running: %v", err)
	}
}

func TestParseRegistry(t *testing.T) {
	reg, err := httpipc.ParseRegistry(strings.NewReader(`{"services": [
		{"name": "a", "socket": "/tmp/a.sock", "command": ["/bin/a", "--ipc"], "env": ["X=1"], "ready_timeout": "5s"},
		{"name": "b", "socket": "/tmp/b.sock"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	a, ok := reg.Lookup("a")
	if !ok || a.Socket != "/tmp/a.sock" || len(a.Command) != 2 || a.Env[0] != "X=1" || a.ReadyTimeout != 5*time.Second {
		t.Errorf("a = %+v", a)
	}
	if b, ok := reg.Lookup("b"); !ok || b.ReadyTimeout != 0 || b.Command != nil {
		t.Errorf("b = %+v", b)
	}
	for _, bad := range []string{
		`{"services": [{"name": "a", "socket": "/s", "comand": ["x"]}]}`,
		`{"services": [{"name": "a", "socket": "/s", "ready_timeout": "soon"}]}`,
		`{"services": [{"name": "", "socket": "/s"}]}`,
		`{"services": [{"name": "a", "socket": "/s"}, {"name": "a", "socket": "/t"}]}`,
		`{"services": [{"name": "a", "socket": "/s", "ready_timeout": "-1s"}]}`,
	} {
		if _, err := httpipc.ParseRegistry(strings.NewReader(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func TestIdleListener(t *testing.T) {
	dir := sockDir(t)
	ln, err := net.Listen("unix", filepath.Join(dir, "s"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	// The client connects first (the kernel queues it), so Accept does
	// not wait: an idle period counted from NewIdleListener cannot pass
	// before the connection is accepted, however loaded the machine.
	c, err := net.Dial("unix", filepath.Join(dir, "s"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	il := httpipc.NewIdleListener(ln, 200*time.Millisecond)
	sc, err := il.Accept()
	if err != nil {
		t.Fatal(err)
	}
	if il.Open() != 1 {
		t.Fatalf("Open = %d, want 1", il.Open())
	}
	select {
	case <-il.Idle():
		t.Fatal("idle with a connection open")
	default:
	}
	sc.Close()
	sc.Close() // counted once
	<-il.Idle()
	if il.Open() != 0 {
		t.Fatalf("Open = %d after close", il.Open())
	}
}

func TestListenUnix(t *testing.T) {
	ctx := context.Background()
	dir := sockDir(t)
	path := filepath.Join(dir, "s")
	// A stale socket, as left by an app that was killed.
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	ln, err = httpipc.ListenUnix(ctx, path)
	if err != nil {
		t.Fatalf("stale socket: %v", err)
	}
	defer ln.Close()
	// A live one is left alone.
	if _, err := httpipc.ListenUnix(ctx, path); !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("live socket: %v, want EADDRINUSE", err)
	}
	// A regular file is never removed.
	file := filepath.Join(dir, "f")
	os.WriteFile(file, []byte("keep"), 0o600)
	if _, err := httpipc.ListenUnix(ctx, file); err == nil {
		t.Error("listened over a regular file")
	}
	if b, _ := os.ReadFile(file); string(b) != "keep" {
		t.Error("regular file removed")
	}
}
