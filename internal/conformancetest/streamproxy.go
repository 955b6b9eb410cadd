package conformancetest

import (
	"io"
	"net"
	"testing"

	"github.com/appwire/appwire/internal/testserver"
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
	ln := testserver.Listen(t, p.Network)
	s := testserver.Track(t, ln)
	s.Accept(func(c net.Conn) {
		b, err := net.Dial(p.Network, p.Backend)
		if err != nil || !s.Add(b) {
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
