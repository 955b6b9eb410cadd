package loadtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"

	httppprof "net/http/pprof"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/appwire/appwire/simplepush"
	"github.com/appwire/appwire/simplepush/redisstore"
)

// ServerHello is the one JSON line a server child prints on stdout when
// it is ready.
type ServerHello struct {
	PID     int    `json:"pid"`
	WS      string `json:"ws"`      // the SimplePush server: WebSocket at /, endpoint under /update/
	Control string `json:"control"` // stats, heap profile and the no-op PUT handler
	Nofile  uint64 `json:"nofile"`  // soft limit of open files after raising it
}

// ServerStats is what the control listener's /stats returns.
type ServerStats struct {
	PID        int    `json:"pid"`
	Goroutines int    `json:"goroutines"`
	RSS        int64  `json:"rss_bytes"`        // VmRSS
	HeapInuse  uint64 `json:"heap_inuse_bytes"` // runtime.MemStats
	StackInuse uint64 `json:"stack_inuse_bytes"`
	HeapAlloc  uint64 `json:"heap_alloc_bytes"`
	Sys        uint64 `json:"sys_bytes"`
	NumGC      uint32 `json:"num_gc"`

	simplepush.Stats
}

// GoMem is the Go memory that grows with connections: heap spans in use
// plus goroutine stacks.
func (s ServerStats) GoMem() int64 { return int64(s.HeapInuse + s.StackInuse) }

// RedisEnv, in the server child's environment, is the URL of the Redis
// it keeps its state in (Config.Redis); unset means in memory.
const RedisEnv = "APPWIRE_LOAD_REDIS"

// ServeChild runs the server side of the SimplePush load test, meant for
// a process of its own so that its memory is measured alone: the
// reference server (the options of "appwire serve") on one loopback
// listener, and a control listener with
//
//	GET /stats[?gc=1]  ServerStats as JSON; gc=1 first collects garbage
//	                   and returns freed memory to the OS
//	GET /heap          a heap profile (go tool pprof)
//	GET /debug/pprof/profile?seconds=N  a CPU profile
//	PUT /noop/...      the baseline: reads the body, answers 200 {}
//
// It prints a ServerHello line on stdout and runs until ctx ends or
// stdin reaches EOF (the load tool closed it or died).
func ServeChild(ctx context.Context, stdin io.Reader, stdout io.Writer) error {
	nofile, err := RaiseNofile()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		_, _ = io.Copy(io.Discard, stdin)
		cancel()
	}()
	opts := simplepush.Options{MaxConnections: -1}
	if u := os.Getenv(RedisEnv); u != "" {
		ropts, err := redis.ParseURL(u)
		if err != nil {
			return fmt.Errorf("loadtest: %s: %w", RedisEnv, err)
		}
		rdb := redis.NewClient(ropts)
		defer rdb.Close()
		if opts.Store, err = redisstore.NewStore(rdb, redisstore.Options{}); err != nil {
			return err
		}
	}
	s, err := simplepush.NewServer(opts)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.Close()
		return err
	}
	cln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		ln.Close()
		s.Close()
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("gc") == "1" {
			runtime.GC()
			debug.FreeOSMemory()
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		rss, _ := VmRSS(0)
		st := ServerStats{
			PID: os.Getpid(), Goroutines: runtime.NumGoroutine(), RSS: rss,
			HeapInuse: ms.HeapInuse, StackInuse: ms.StackInuse, HeapAlloc: ms.HeapAlloc, Sys: ms.Sys, NumGC: ms.NumGC,
			Stats: s.Stats(),
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(st)
	})
	mux.HandleFunc("GET /heap", func(w http.ResponseWriter, r *http.Request) {
		runtime.GC()
		w.Header().Set("Content-Type", "application/octet-stream")
		_ = pprof.Lookup("heap").WriteTo(w, 0)
	})
	mux.HandleFunc("GET /debug/pprof/profile", httppprof.Profile) // CPU profile of the server
	mux.HandleFunc("PUT /noop/", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, "{}")
	})
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 2)
	go func() { done <- s.Serve(ctx, ln) }()
	go func() { done <- hs.Serve(cln) }()
	hello := ServerHello{
		PID: os.Getpid(), WS: "ws://" + ln.Addr().String() + "/",
		Control: "http://" + cln.Addr().String(), Nofile: nofile,
	}
	if err := json.NewEncoder(stdout).Encode(hello); err != nil {
		cancel()
	}
	<-ctx.Done()
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	_ = hs.Shutdown(sctx)
	var first error
	for range 2 {
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, http.ErrServerClosed) && first == nil {
				first = err
			}
		case <-sctx.Done():
			return fmt.Errorf("loadtest: server did not stop: %w", sctx.Err())
		}
	}
	return first
}
