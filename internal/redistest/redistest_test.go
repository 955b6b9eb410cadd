package redistest

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestStartRestartKill(t *testing.T) {
	srv := Start(t, Options{Persist: true})
	rdb := srv.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := rdb.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	srv.Restart()
	if got, err := rdb.Get(ctx, "k").Result(); err != nil || got != "v" {
		t.Fatalf("after restart: %q %v", got, err)
	}
	srv.Kill()
	if err := ping(srv.Addr()); err == nil {
		t.Fatal("server answers after Kill")
	}
	srv.Kill() // idempotent
}

func TestNoPersistence(t *testing.T) {
	srv := Start(t, Options{})
	rdb := srv.Client(t)
	ctx := context.Background()
	if err := rdb.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	srv.Restart()
	if n, err := rdb.Exists(ctx, "k").Result(); err != nil || n != 0 {
		t.Fatalf("data survived a restart without persistence: %d %v", n, err)
	}
	if !strings.HasPrefix(srv.URL(), "redis://127.0.0.1:") {
		t.Fatal(srv.URL())
	}
}

// recorder is a testing.TB that records Skip and Fatal instead of ending
// the real test.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper() {}
func (r *recorder) Skip(args ...any) {
	r.skipped = fmt.Sprint(args...)
	runtime.Goexit()
}
func (r *recorder) Fatal(args ...any) {
	r.failed = fmt.Sprint(args...)
	runtime.Goexit()
}

func require(t *testing.T) *recorder {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() { defer close(done); Require(r) }()
	<-done
	return r
}

func TestRequireWithoutRedis(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("CI", "")
	if r := require(t); !strings.Contains(r.skipped, "apt-get install redis-server") || r.failed != "" {
		t.Fatalf("without CI: skipped %q failed %q", r.skipped, r.failed)
	}
	t.Setenv("CI", "true")
	if r := require(t); r.skipped != "" || !strings.Contains(r.failed, "CI is set") {
		t.Fatalf("with CI: skipped %q failed %q", r.skipped, r.failed)
	}
}
