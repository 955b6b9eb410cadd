package simplepush

import (
	"net/http"
	"slices"
	"syscall"

	"github.com/appwire/appwire/internal/wsconn"
)

// subprotocol is the early drafts' Sec-WebSocket-Protocol; echoed when
// offered, never required (spec section 1).
const subprotocol = "push-notification"

// serveWebSocket accepts a user-agent socket and parks it in the poller.
func (s *Server) serveWebSocket(w http.ResponseWriter, r *http.Request) {
	if !wsconn.IsUpgrade(r) {
		w.Header().Set("Upgrade", "websocket")
		http.Error(w, "SimplePush: WebSocket upgrade required", http.StatusUpgradeRequired)
		return
	}
	if len(s.opts.Origins) > 0 && !slices.Contains(s.opts.Origins, r.Header.Get("Origin")) {
		http.Error(w, "Origin not allowed", http.StatusForbidden)
		return
	}
	s.mu.Lock()
	full := s.closing || s.opts.MaxConnections > 0 && len(s.conns) >= s.opts.MaxConnections
	s.mu.Unlock()
	if full {
		http.Error(w, "Server is full", http.StatusServiceUnavailable)
		return
	}
	var opts wsconn.UpgradeOptions
	if slices.Contains(wsconn.Protocols(r.Header), subprotocol) {
		opts.Protocol = subprotocol
	}
	nc, early, err := wsconn.UpgradeRaw(w, r, opts)
	if err != nil {
		if err == wsconn.ErrNotUpgrade {
			http.Error(w, "unsupported WebSocket version", http.StatusBadRequest)
		}
		return
	}
	c := &conn{s: s, nc: nc, pre: early}
	if sc, ok := nc.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			c.rc = rc
		}
	}
	if s.opts.EndpointURL == "" {
		c.endpoint = "http://" + r.Host + DefaultEndpointPath
	}
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		nc.Close()
		return
	}
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	if s.opts.HelloTimeout > 0 {
		c.mu.Lock()
		c.helloTimer = s.opts.Clock.AfterFunc(s.opts.HelloTimeout, func() {
			c.mu.Lock()
			waiting := c.uaid == ""
			c.mu.Unlock()
			if waiting {
				c.close(wsconn.StatusPolicyViolation, "hello timeout")
			}
		})
		c.mu.Unlock()
	}
	if len(early) > 0 {
		// Bytes already read never wake the poller: serve them first.
		go func() {
			if s.readable(c) {
				s.poll.add(c)
			}
		}()
		return
	}
	s.poll.add(c)
}
