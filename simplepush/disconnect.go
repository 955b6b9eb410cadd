package simplepush

import (
	"context"
	"sync"
)

// maxDisconnectWorkers bounds the goroutines that clear routes.
const maxDisconnectWorkers = 4

// disconnects clears the routes of closed sockets in the background. A
// burst of closes (a network drop, a load balancer restart) then costs a
// small record per socket while a few workers call Store.Disconnect,
// instead of a goroutine per socket, each with its stack and its read
// buffers, waiting for a networked store: with Redis, 15 000 sockets
// closing at once held over 100 MiB that way.
type disconnects struct {
	mu      sync.Mutex
	idle    sync.Cond // signalled when the last worker exits; L is &mu
	queue   []pendingDisconnect
	workers int
}

type pendingDisconnect struct {
	uaid string
	r    Route
}

// disconnect queues the clearing of uaid's route r. A route cleared late
// is harmless: Disconnect leaves a newer route alone, and this node no
// longer counts the socket (byUAID) once it is closed.
func (s *Server) disconnect(uaid string, r Route) {
	d := &s.discs
	d.mu.Lock()
	defer d.mu.Unlock()
	d.queue = append(d.queue, pendingDisconnect{uaid, r})
	if d.workers < maxDisconnectWorkers {
		d.workers++
		go s.disconnectLoop()
	}
}

func (s *Server) disconnectLoop() {
	d := &s.discs
	for {
		d.mu.Lock()
		if len(d.queue) == 0 {
			d.queue = nil // let a burst's backing array go
			if d.workers--; d.workers == 0 && d.idle.L != nil {
				d.idle.Broadcast()
			}
			d.mu.Unlock()
			return
		}
		p := d.queue[0]
		d.queue = d.queue[1:]
		d.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(s.ctx), s.opts.StoreTimeout)
		if err := s.opts.Store.Disconnect(ctx, p.uaid, p.r); err != nil {
			s.logf("simplepush: disconnect %s: %v", p.uaid, err)
		}
		cancel()
	}
}

// waitDisconnects waits until every queued route is cleared.
func (s *Server) waitDisconnects() {
	d := &s.discs
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.idle.L == nil {
		d.idle.L = &d.mu
	}
	for d.workers > 0 {
		d.idle.Wait()
	}
}
