package httpipc_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/appwire/appwire/httpipc"
)

// envChild makes the test binary, re-executed by a Registry, act as a
// server app instead of running tests.
const (
	envChild     = "HTTPIPC_TEST_CHILD"      // serve, never-ready, exit
	envChildIdle = "HTTPIPC_TEST_IDLE"       // idle period, a Go duration
	envStartsLog = "HTTPIPC_TEST_STARTS_LOG" // file the app appends a line to when it starts
)

func TestMain(m *testing.M) {
	switch os.Getenv(envChild) {
	case "":
		os.Exit(m.Run())
	case "serve":
		os.Exit(childServe())
	case "drain":
		os.Exit(childDrain())
	case "never-ready":
		time.Sleep(time.Hour) // killed by the Registry
		os.Exit(1)
	default:
		os.Exit(3)
	}
}

// childServe is a server app woken on demand: it answers its pid and
// exits after an idle period.
func childServe() int {
	if p := os.Getenv(envStartsLog); p != "" {
		f, err := os.OpenFile(p, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			return 4
		}
		fmt.Fprintln(f, os.Getpid())
		f.Close()
	}
	idle, err := time.ParseDuration(os.Getenv(envChildIdle))
	if err != nil {
		idle = time.Minute
	}
	ctx := context.Background()
	ln, err := httpipc.ListenUnix(ctx, os.Getenv(httpipc.EnvSocket))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 5
	}
	srv := &httpipc.Server{
		Options: httpipc.Options{IdleTimeout: idle},
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(strconv.Itoa(os.Getpid())))
		}),
	}
	if err := httpipc.ServeIdle(ctx, srv, ln, idle); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 6
	}
	return 0
}

func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
}
