package simplepush

// poller watches idle connections and calls ready (in a goroutine of its
// own, once per readiness) when one has data or was closed by the peer.
// ready reports whether to keep watching.
type poller interface {
	// add starts watching c; ready may be called at once.
	add(c *conn)
	// remove stops watching c; call it before closing c's socket.
	remove(c *conn)
	close() error
}

// watchLoop is the portable way to wait: one goroutine per connection,
// parked in a 1-byte read. Used for connections without a file
// descriptor (TLS, pipes) and on systems without epoll.
func watchLoop(c *conn, ready func(*conn, []byte) bool) {
	for {
		var b [1]byte
		n, err := c.nc.Read(b[:])
		if n == 1 {
			if !ready(c, b[:]) {
				return
			}
			continue
		}
		if err != nil {
			c.closeNow()
			return
		}
	}
}

// readable is the poller callback.
func (s *Server) readable(c *conn, pre []byte) bool { return c.serveReadable(pre) }
