package conformancetest

import (
	"net"
	"sync"
	"testing"
)

// ClosedAddr returns a loopback address on which nothing listens: a
// target that is down.
func ClosedAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("conformancetest: listen: %v", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// StartHostile listens on a free loopback port and hands every accepted
// connection to serve, a hostile target's behaviour (say nothing, send
// garbage, close at once). Connections are closed when serve returns and
// when the test ends.
func StartHostile(t testing.TB, serve func(c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("conformancetest: listen: %v", err)
	}
	var (
		mu    sync.Mutex
		conns = map[net.Conn]bool{}
		wg    sync.WaitGroup
	)
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		conns = nil
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			if conns == nil {
				mu.Unlock()
				c.Close()
				return
			}
			conns[c] = true
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				serve(c)
			}()
		}
	}()
	return ln.Addr().String()
}

// Silent reads and discards whatever the client sends and never answers.
func Silent(c net.Conn) {
	buf := make([]byte, 4096)
	for {
		if _, err := c.Read(buf); err != nil {
			return
		}
	}
}

// Garbage answers the first bytes the client sends with b, then goes
// silent.
func Garbage(b []byte) func(net.Conn) {
	return func(c net.Conn) {
		buf := make([]byte, 4096)
		if _, err := c.Read(buf); err != nil {
			return
		}
		if _, err := c.Write(b); err != nil {
			return
		}
		Silent(c)
	}
}
