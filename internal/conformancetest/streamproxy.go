package conformancetest

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// Pump moves one direction of a proxied byte stream: it reads from src
// until src ends (or it decides to stop) and writes what it wants to dst.
// When either pump of a connection returns, both sides are closed.
type Pump func(dst io.Writer, src io.Reader) error

// Copy is the Pump that relays bytes unchanged.
func Copy(dst io.Writer, src io.Reader) error {
	_, err := io.Copy(dst, src)
	return err
}

// StreamProxy sits between clients and a byte-stream server (a unix socket
// or a TCP port) and lets a mutant rewrite what crosses it, one pump per
// direction. It knows nothing of the protocol: the pumps parse what they
// need.
type StreamProxy struct {
	// Network is "unix" or "tcp"; the proxy listens on the same network.
	Network string
	// Backend is the server's socket path or host:port.
	Backend string
	// Conn, when set, is called once per accepted connection and returns
	// that connection's pumps (nil means Copy). The two pumps run in their
	// own goroutines and may share state through the closure.
	Conn func() (toServer, toClient Pump)
}

// StartStreamProxy listens on a fresh unix socket in a temporary directory
// (Network "unix") or a free loopback port ("tcp"), relays each connection
// to p.Backend through the pumps, and returns the address to dial.
// Everything is closed when the test ends.
func StartStreamProxy(t testing.TB, p StreamProxy) string {
	t.Helper()
	ln := listen(t, p.Network)
	s := newTracker(t, ln)
	s.accept(func(c net.Conn) {
		b, err := net.Dial(p.Network, p.Backend)
		if err != nil || !s.track(b) {
			return
		}
		defer b.Close()
		toServer, toClient := Pump(Copy), Pump(Copy)
		if p.Conn != nil {
			ts, tc := p.Conn()
			if ts != nil {
				toServer = ts
			}
			if tc != nil {
				toClient = tc
			}
		}
		done := make(chan struct{}, 2)
		go func() { _ = toServer(b, c); done <- struct{}{} }()
		go func() { _ = toClient(c, b); done <- struct{}{} }()
		<-done
		c.Close()
		b.Close()
		<-done
	})
	return ln.Addr().String()
}

// StartHostileUnix is StartHostile on a fresh unix socket; it returns the
// socket's path.
func StartHostileUnix(t testing.TB, serve func(c net.Conn)) string {
	t.Helper()
	ln := listen(t, "unix")
	newTracker(t, ln).accept(serve)
	return ln.Addr().String()
}

// ClosedUnixPath returns the path of a unix socket nobody listens on (the
// socket file exists, as after a server died): a target that is down.
func ClosedUnixPath(t testing.TB) string {
	t.Helper()
	ln := listen(t, "unix")
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	path := ln.Addr().String()
	ln.Close()
	return path
}

func listen(t testing.TB, network string) net.Listener {
	t.Helper()
	addr := "127.0.0.1:0"
	if network == "unix" {
		dir, err := os.MkdirTemp("", "ct")
		if err != nil {
			t.Fatalf("conformancetest: %v", err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		// A short path: sun_path holds 108 bytes.
		addr = filepath.Join(dir, "s")
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatalf("conformancetest: listen %s: %v", network, err)
	}
	return ln
}

// tracker accepts connections and closes every one of them, and the
// listener, when the test ends.
type tracker struct {
	ln    net.Listener
	mu    sync.Mutex
	conns map[net.Conn]bool
	wg    sync.WaitGroup
}

func newTracker(t testing.TB, ln net.Listener) *tracker {
	s := &tracker{ln: ln, conns: map[net.Conn]bool{}}
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

func (s *tracker) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conns == nil {
		c.Close()
		return false
	}
	s.conns[c] = true
	return true
}

func (s *tracker) accept(serve func(c net.Conn)) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := s.ln.Accept()
			if err != nil {
				return
			}
			if !s.track(c) {
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer c.Close()
				serve(c)
			}()
		}
	}()
}
