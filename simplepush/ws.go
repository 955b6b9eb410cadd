package simplepush

import (
	"net/http"
	"slices"
	"strings"
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
	c := &conn{s: s, nc: nc}
	if sc, ok := nc.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			c.rc = rc
		}
	}
	if s.opts.EndpointURL == "" {
		c.endpoint = s.endpointPrefix(r.Host)
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
		c.timer = s.opts.Clock.AfterFunc(s.opts.HelloTimeout, func() {
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
			if s.readable(c, early) {
				s.poll.add(c)
			}
		}()
		return
	}
	s.poll.add(c)
}

// maxEndpointPrefixes bounds the cache of pushEndpoint prefixes: Host
// headers come from the network.
const maxEndpointPrefixes = 64

// endpointPrefix returns "http://" + host + DefaultEndpointPath, one
// shared string per Host header seen (up to maxEndpointPrefixes), so
// sockets do not each hold a copy.
func (s *Server) endpointPrefix(host string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.prefixes[host]; ok {
		return p
	}
	p := "http://" + host + DefaultEndpointPath
	if len(s.prefixes) < maxEndpointPrefixes {
		if s.prefixes == nil {
			s.prefixes = map[string]string{}
		}
		s.prefixes[strings.Clone(host)] = p
	}
	return p
}
