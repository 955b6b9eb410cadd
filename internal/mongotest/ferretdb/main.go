// Command ferretdb runs FerretDB v1 (embedded, SQLite backend) on a loopback
// port for tests: internal/mongotest builds and starts it. It is its own Go
// module so that the appwire module does not carry FerretDB's dependencies.
//
//	ferretdb -listen 127.0.0.1:PORT -dir /tmp/dir
//
// It prints "ready mongodb://127.0.0.1:PORT/" on stdout once it accepts
// connections, and runs until SIGINT, SIGTERM or stdin closing (so that it
// never outlives a test that dies).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "TCP address to listen on (loopback)")
	dir := flag.String("dir", "", "directory for the SQLite databases (required)")
	watchStdin := flag.Bool("stdin", true, "exit when stdin reaches EOF")
	verbose := flag.Bool("v", false, "log every connection (default: warnings only)")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("ferretdb: ")
	if *dir == "" {
		log.Fatal("-dir is required")
	}
	abs, err := filepath.Abs(*dir)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		log.Fatal(err)
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Logger:    slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})),
		Handler:   "sqlite",
		SQLiteURL: "file:" + abs + "/",
	})
	if err != nil {
		log.Fatal(err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *watchStdin {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			stop()
		}()
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.Run(ctx)
	}()

	uri := f.MongoDBURI()
	addr := *listen
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = c.Close()
			break
		}
		select {
		case <-done:
			log.Fatal("stopped before accepting connections")
		default:
		}
		if time.Now().After(deadline) {
			log.Fatalf("not listening on %s after 30s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	fmt.Println("ready", uri)
	<-done
}
