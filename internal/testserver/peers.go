package testserver

import (
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// Peers that are down, silent or broken, and the listener plumbing behind
// them: for tests that check a client (a conformance suite, a protocol
// client) judges a bad peer as it should and never hangs on one.

// ClosedAddr returns a loopback host:port on which nothing listens: a
// peer that is down.
func ClosedAddr(t testing.TB) string {
	t.Helper()
	ln := Listen(t, "tcp")
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// ClosedUnixPath returns the path of a unix socket nobody listens on (the
// socket file exists, as after a server died): a peer that is down.
func ClosedUnixPath(t testing.TB) string {
	t.Helper()
	ln := Listen(t, "unix")
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	path := ln.Addr().String()
	ln.Close()
	return path
}

// StartHostile listens on a free loopback port and hands every accepted
// connection to serve, a hostile peer's behaviour (say nothing, send
// garbage, close at once). A connection is closed when serve returns, and
// everything when the test ends. It returns host:port.
func StartHostile(t testing.TB, serve func(c net.Conn)) string {
	t.Helper()
	ln := Listen(t, "tcp")
	Track(t, ln).Accept(serve)
	return ln.Addr().String()
}

// StartHostileUnix is StartHostile on a fresh unix socket; it returns the
// socket's path.
func StartHostileUnix(t testing.TB, serve func(c net.Conn)) string {
	t.Helper()
	ln := Listen(t, "unix")
	Track(t, ln).Accept(serve)
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

// Listen listens on a free 127.0.0.1 port (network "tcp") or on a fresh
// unix socket in a temporary directory removed when the test ends
// ("unix").
func Listen(t testing.TB, network string) net.Listener {
	t.Helper()
	addr := "127.0.0.1:0"
	if network == "unix" {
		dir, err := os.MkdirTemp("", "ts")
		if err != nil {
			t.Fatalf("testserver: %v", err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		// A short path: sun_path holds 108 bytes.
		addr = filepath.Join(dir, "s")
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatalf("testserver: listen %s: %v", network, err)
	}
	return ln
}

// Tracker accepts connections on a listener and, when the test ends,
// closes the listener and every connection it tracks and waits for their
// goroutines.
type Tracker struct {
	ln    net.Listener
	mu    sync.Mutex
	conns map[net.Conn]bool
	wg    sync.WaitGroup
}

// Track starts tracking ln until the test ends.
func Track(t testing.TB, ln net.Listener) *Tracker {
	s := &Tracker{ln: ln, conns: map[net.Conn]bool{}}
	t.Cleanup(func() {
		ln.Close()
		s.mu.Lock()
		for c := range s.conns {
			c.Close()
		}
		s.conns = nil
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

// Add tracks c (a connection the test opened on the way, such as a
// proxy's to its backend); it closes c and reports false once the test
// has ended.
func (s *Tracker) Add(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conns == nil {
		c.Close()
		return false
	}
	s.conns[c] = true
	return true
}

// Accept accepts connections until the listener closes and serves each in
// its own goroutine; a connection is closed when serve returns.
func (s *Tracker) Accept(serve func(c net.Conn)) {
	s.Go(func() {
		for {
			c, err := s.ln.Accept()
			if err != nil {
				return
			}
			if !s.Add(c) {
				return
			}
			s.Go(func() {
				defer c.Close()
				serve(c)
			})
		}
	})
}

// Go runs f in a goroutine the end of the test waits for.
func (s *Tracker) Go(f func()) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
}
