package conformancetest

import (
	"context"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// StartPerConn listens on a free loopback port and serves every accepted
// connection with its own handler, newHandler(n) for the n-th connection
// (from 0). It models a cluster whose load balancer sends each connection
// to another node, so a mutant can show what breaks when nodes do not
// coordinate. The handlers' stop functions, when not nil, run when the
// test ends, after their connection's HTTP server has shut down.
func StartPerConn(t testing.TB, newHandler func(n int) (h http.Handler, stop func())) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("conformancetest: listen: %v", err)
	}
	var (
		mu      sync.Mutex
		servers []*http.Server
		stops   []func()
		closed  bool
		wg      sync.WaitGroup
	)
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		closed = true
		ss, fs := servers, stops
		mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for _, s := range ss {
			_ = s.Shutdown(ctx)
		}
		wg.Wait()
		for _, f := range fs {
			if f != nil {
				f()
			}
		}
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for n := 0; ; n++ {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			h, stop := newHandler(n)
			srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
			mu.Lock()
			if closed {
				mu.Unlock()
				c.Close()
				if stop != nil {
					stop()
				}
				return
			}
			servers = append(servers, srv)
			stops = append(stops, stop)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				_ = srv.Serve(newOneConnListener(c))
			}()
		}
	}()
	return ln.Addr().String()
}

// oneConnListener hands out one connection, then blocks until closed.
type oneConnListener struct {
	c    chan net.Conn
	addr net.Addr
	done chan struct{}
	once sync.Once
}

func newOneConnListener(c net.Conn) *oneConnListener {
	l := &oneConnListener{c: make(chan net.Conn, 1), addr: c.LocalAddr(), done: make(chan struct{})}
	l.c <- c
	return l
}

func (l *oneConnListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.c:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *oneConnListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *oneConnListener) Addr() net.Addr { return l.addr }
