package testserver

import (
	"io"
	"net"
	"testing"
	"time"
)

func TestClosedAddr(t *testing.T) {
	if c, err := net.Dial("tcp", ClosedAddr(t)); err == nil {
		c.Close()
		t.Fatal("ClosedAddr accepted a connection")
	}
	if c, err := net.Dial("unix", ClosedUnixPath(t)); err == nil {
		c.Close()
		t.Fatal("ClosedUnixPath accepted a connection")
	}
}

func TestHostilePeers(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			addr := StartHostile(t, Garbage([]byte("junk")))
			if network == "unix" {
				addr = StartHostileUnix(t, Garbage([]byte("junk")))
			}
			c, err := net.Dial(network, addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.Write([]byte("GET / HTTP/1.1\r\n\r\n"))
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			b := make([]byte, 4)
			if _, err := io.ReadFull(c, b); err != nil || string(b) != "junk" {
				t.Fatalf("got %q %v", b, err)
			}
			// Then silent: nothing more arrives.
			c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
			if n, err := c.Read(b); n != 0 || err == nil {
				t.Fatalf("after the garbage: %d bytes, %v; want a timeout", n, err)
			}
		})
	}
}

// TestTrackerClosesAtEnd: the end of the test closes the listener and the
// connections a silent peer holds, so no goroutine outlives the test.
func TestTrackerClosesAtEnd(t *testing.T) {
	var c net.Conn
	t.Run("inner", func(t *testing.T) {
		var err error
		c, err = net.Dial("tcp", StartHostile(t, Silent))
		if err != nil {
			t.Fatal(err)
		}
	})
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("read from a silent peer after its test ended: %v, want EOF", err)
	}
}
