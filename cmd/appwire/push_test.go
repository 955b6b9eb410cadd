package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/appwire/appwire/internal/testserver"
	"github.com/appwire/appwire/simplepush"
)

// startPushServer serves a reference SimplePush server on a free loopback
// port and returns its WebSocket URL.
func startPushServer(t *testing.T) string {
	t.Helper()
	s, err := simplepush.NewServer(simplepush.Options{})
	if err != nil {
		t.Fatal(err)
	}
	u := testserver.Serve(t, s, func(context.Context) { s.Close() })
	return "ws" + strings.TrimPrefix(u, "http") + "/"
}

func TestPushNotify(t *testing.T) {
	url := startPushServer(t)
	ctx := testserver.Ctx(t)
	ua, err := simplepush.Dial(ctx, url, simplepush.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer ua.Close()
	ep, err := ua.Register(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLI(t, "", "push", "notify", ep, "--version", "9", "--data", "hi")
	if code != exitOK || out != "200 delivered\n" {
		t.Fatalf("exit %d\nstdout %q\nstderr %s", code, out, errs)
	}
	select {
	case n := <-ua.Notifications():
		if n.Version != 9 || n.Data != "hi" {
			t.Fatalf("got %+v", n)
		}
	case <-ctx.Done():
		t.Fatal("no notification")
	}
	bad := ep[:strings.LastIndexByte(ep, '/')+1] + "garbage"
	if code, _, errs := runCLI(t, "", "push", "notify", bad); code != exitFailed || !strings.Contains(errs, "404") {
		t.Fatalf("bad token: exit %d, stderr %s", code, errs)
	}
	down := "http://" + testserver.ClosedAddr(t) + "/update/x"
	if code, _, _ := runCLI(t, "", "push", "notify", down); code != exitProblem {
		t.Fatalf("unreachable: exit %d, want %d", code, exitProblem)
	}
	for _, args := range [][]string{{"push"}, {"push", "notify"}, {"push", "frob"}} {
		if code, _, _ := runCLI(t, "", args...); code != exitUsage {
			t.Fatalf("%q: exit %d, want %d", args, code, exitUsage)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
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

func TestPushListen(t *testing.T) {
	url := startPushServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"push", "listen", url, "--count", "1"}, strings.NewReader(""), &out, &errb)
	}()
	var ep string
	for ep == "" {
		for _, line := range strings.Split(out.String(), "\n") {
			if f := strings.Fields(line); len(f) == 3 && f[0] == "endpoint" {
				ep = f[2]
			}
		}
		select {
		case code := <-done:
			t.Fatalf("listen ended early: exit %d\n%s\n%s", code, out.String(), errb.String())
		case <-time.After(time.Millisecond):
		}
	}
	if code, o, e := runCLI(t, "", "push", "notify", ep, "--version", "4", "--data", "x y"); code != exitOK {
		t.Fatalf("notify: exit %d %s %s", code, o, e)
	}
	if code := <-done; code != exitOK || !strings.Contains(out.String(), ` 4 "x y"`) {
		t.Fatalf("listen: exit %d\nstdout %s\nstderr %s", code, out.String(), errb.String())
	}
}
