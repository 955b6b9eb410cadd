package loadtest

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/appwire/appwire/internal/redistest"
	"github.com/appwire/appwire/simplepush/redisstore"
)

const childEnv = "APPWIRE_LOADTEST_CHILD"

// TestMain turns the test binary into the server child when the load
// tool re-executes it.
func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err := ServeChild(ctx, os.Stdin, os.Stdout)
		stop()
		if err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestRunSimplePushSmall(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := RunSimplePush(ctx, Config{
		Conns: 50, Deliveries: 200, Workers: 4, Dialers: 8, Steps: []int{10},
		PerSource:     20, // three source addresses
		Duration:      time.Minute,
		ServerCommand: []string{os.Args[0]}, ServerEnv: []string{childEnv + "=1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Child || !rep.ChildExited || rep.ServerPID <= 0 {
		t.Fatalf("child %v exited %v pid %d", rep.Child, rep.ChildExited, rep.ServerPID)
	}
	if err := syscall.Kill(rep.ServerPID, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("server process %d still there (kill 0: %v)", rep.ServerPID, err)
	}
	if len(rep.Sources) != 3 || rep.Sources[0] != "127.0.0.1" || rep.Sources[1] != "127.1.0.1" {
		t.Errorf("sources %v", rep.Sources)
	}
	if len(rep.Steps) != 2 || rep.Steps[0].Conns != 10 || rep.Steps[1].Conns != 50 {
		t.Fatalf("steps %+v", rep.Steps)
	}
	for _, s := range rep.Steps {
		if s.ServerConns != s.Conns || s.ServerHelloed != s.Conns || s.Reading != 0 || !s.HasRSS || !s.HasGoMem {
			t.Errorf("step %+v", s)
		}
		// Idle sockets wait in the poller: no goroutine each.
		if s.Goroutines > rep.BaselineGoroutines+2 {
			t.Errorf("%d goroutines with %d idle sockets, %d before", s.Goroutines, s.Conns, rep.BaselineGoroutines)
		}
	}
	for name, p := range map[string]Phase{"deliveries": rep.Deliveries, "noop": rep.NoopPUT} {
		if p.Count != 200 || p.Errors != 0 || p.Latency.N != 200 || p.PerSec <= 0 {
			t.Errorf("%s: %+v", name, p)
		}
		if l := p.Latency; !(l.MinMs <= l.P50Ms && l.P50Ms <= l.P90Ms && l.P90Ms <= l.P99Ms && l.P99Ms <= l.MaxMs) {
			t.Errorf("%s: percentiles out of order %+v", name, l)
		}
	}
	if rep.ServerDelivered != 200 || rep.ExtraMessages != 0 || rep.Store != "memory" {
		t.Errorf("server delivered %d, want 200; %d messages besides them, want 0; store %q", rep.ServerDelivered, rep.ExtraMessages, rep.Store)
	}
	if rep.Ratio <= 0 {
		t.Errorf("ratio %v", rep.Ratio)
	}
	var sb strings.Builder
	rep.WriteText(&sb)
	for _, want := range []string{"50 idle connections", "deliveries (PUT -> notification -> ack): 200 in", "no-op net/http PUT (server process): 200 in", "ratio"} {
		if !strings.Contains(sb.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, sb.String())
		}
	}
}

// TestRunSimplePushRedis: with Config.Redis the server child keeps its
// users and channels in that Redis (they are there after the run), the
// deliveries all arrive, once each, and the report names the store.
func TestRunSimplePushRedis(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := RunSimplePush(ctx, Config{
		Conns: 20, Deliveries: 100, Workers: 4, Dialers: 8, Steps: []int{10},
		Duration: time.Minute, Redis: srv.URL(),
		ServerCommand: []string{os.Args[0]}, ServerEnv: []string{childEnv + "=1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Store != "redis" || rep.Deliveries.Count != 100 || rep.Deliveries.Errors != 0 || rep.ServerDelivered != 100 || rep.ExtraMessages != 0 {
		t.Fatalf("store %q, deliveries %+v, server delivered %d, extra messages %d", rep.Store, rep.Deliveries, rep.ServerDelivered, rep.ExtraMessages)
	}
	keys, err := srv.Client(t).Keys(ctx, redisstore.DefaultPrefix+"*:ch").Result()
	if err != nil || len(keys) != 20 {
		t.Fatalf("%d channel hashes in Redis (%v), want one per connection (20)", len(keys), err)
	}
	var sb strings.Builder
	rep.WriteText(&sb)
	if !strings.Contains(sb.String(), "redis store") {
		t.Errorf("text report does not name the store:\n%s", sb.String())
	}
}

// TestRunSimplePushStopsChildOnCancel: a cancelled run (Ctrl-C) still
// stops the server child.
func TestRunSimplePushStopsChildOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var pid int
	prog := progressFunc(func(line string) {
		if strings.HasPrefix(line, "opening") {
			cancel() // interrupt while the connections open
		}
	})
	rep, err := RunSimplePush(ctx, Config{
		Conns: 2000, Deliveries: 10, Workers: 1, Dialers: 1, Timeout: time.Minute,
		ServerCommand: []string{os.Args[0]}, ServerEnv: []string{childEnv + "=1"}, Progress: prog,
	})
	cancel()
	if err == nil {
		t.Fatal("cancelled run succeeded")
	}
	if rep == nil || !rep.Child {
		t.Fatalf("no child started: %v", err)
	}
	pid = rep.ServerPID
	if !rep.ChildExited {
		t.Errorf("child %d not reported gone", pid)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("server process %d still there (kill 0: %v)", pid, err)
	}
}

type progressFunc func(string)

func (f progressFunc) Write(b []byte) (int, error) { f(string(b)); return len(b), nil }

func TestPercentile(t *testing.T) {
	var l Latencies
	for i := 10; i >= 1; i-- {
		l.Add(time.Duration(i) * time.Millisecond)
	}
	s := l.Summary()
	if s.N != 10 || s.MinMs != 1 || s.P50Ms != 5 || s.P90Ms != 9 || s.P99Ms != 10 || s.MaxMs != 10 || s.MeanMs != 5.5 {
		t.Errorf("%+v", s)
	}
	if Percentile(nil, 50) != 0 {
		t.Error("empty")
	}
	one := []time.Duration{7}
	if Percentile(one, 1) != 7 || Percentile(one, 100) != 7 {
		t.Error("one value")
	}
}
