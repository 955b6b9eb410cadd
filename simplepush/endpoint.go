package simplepush

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// serveEndpoint handles an app server's PUT (spec section 4): 200 when
// the update was written to the user agent's socket (here or on another
// node), 202 when it was stored for later, 400 bad version, 404 bad
// token, 405 not a PUT, 410 channel unknown or unregistered, 413 data too
// long, 503 storage trouble (or, with BusyWhileInFlight, an update still
// unacked). Bodies are JSON: {} on success, {"status","error"} otherwise.
func (s *Server) serveEndpoint(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPut {
		w.Header().Set("Allow", http.MethodPut)
		endpointError(w, http.StatusMethodNotAllowed, "Method Not Allowed")
		return
	}
	token := strings.TrimPrefix(r.URL.Path, DefaultEndpointPath)
	uaid, chid, err := s.tokens.Open(token)
	if err != nil {
		endpointError(w, http.StatusNotFound, "Invalid Token")
		return
	}
	limit := int64(3*s.opts.MaxDataLen + 1024) // percent-encoding triples a byte
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		endpointError(w, http.StatusBadRequest, "Could not read body")
		return
	}
	if int64(len(body)) > limit {
		endpointError(w, http.StatusRequestEntityTooLarge, CodeDataTooLong.String())
		return
	}
	n, err := ParseNotify(body, r.URL.RawQuery, s.opts.MaxDataLen)
	if err != nil {
		status := CodeOf(err).Status()
		if errors.Is(err, ErrInvalidParams) {
			status = http.StatusBadRequest
		}
		endpointError(w, status, CodeOf(err).String())
		return
	}
	if !n.HasVersion {
		n.Version = uint64(s.opts.Clock.Now().UTC().Unix())
	}
	ctx, cancel := s.boundCtx(r.Context())
	defer cancel()
	if s.opts.BusyWhileInFlight && s.local(uaid) != nil {
		if p, err := s.opts.Store.Pending(ctx, uaid, nil); err == nil && len(p) > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(max(1, int(s.opts.RetransmitInterval.Seconds()))))
			endpointError(w, http.StatusServiceUnavailable, "Update in flight, retry later")
			return
		}
	}
	stored, err := s.opts.Store.Update(ctx, uaid, chid, n.Version)
	switch {
	case errors.Is(err, ErrUnknownChannel):
		endpointError(w, http.StatusGone, "Unknown or unregistered channel")
		return
	case err != nil:
		s.logf("simplepush: update %s: %v", uaid, err)
		endpointError(w, http.StatusServiceUnavailable, CodeRecordUpdateFailed.String())
		return
	}
	u := Update{ChannelID: chid, Version: n.Version, Data: n.Data}
	// pushgo forwards every PUT to a connected socket, older versions
	// included (a pushgo client that awaits each version it PUT relies
	// on it); autopush sends only a version newer than the stored one.
	forward := stored || s.opts.Dialect == DialectPushgo
	if s.dispatch(ctx, uaid, u, forward) {
		endpointOK(w, http.StatusOK)
		return
	}
	s.stats.stored.Add(1)
	endpointOK(w, http.StatusAccepted)
}

// dispatch sends a stored update to the user agent's socket, here or on
// the node the router names, or wakes the user agent. It reports whether
// the socket got it. A version that was not newer than the stored one is
// not sent (only the newest version matters); the answer then says
// whether a socket exists.
func (s *Server) dispatch(ctx context.Context, uaid string, u Update, newer bool) bool {
	// A socket that is closing (its close frame answered, its route not
	// yet cleared) is not there any more: deliverLocal refuses it too.
	if c := s.local(uaid); c != nil && !c.isClosed() && !newer {
		return true
	}
	if newer && s.deliverLocal(uaid, u) {
		return true
	}
	// Routing and waking wait on the network even with a memory store.
	ctx, cancel := context.WithTimeout(ctx, s.opts.StoreTimeout)
	defer cancel()
	route, err := s.opts.Store.Route(ctx, uaid)
	if err != nil {
		s.logf("simplepush: route %s: %v", uaid, err)
		return false
	}
	if route.Node != "" && route.Node != s.opts.Node && s.opts.Bus != nil {
		if !newer {
			return true
		}
		ok, err := s.opts.Bus.Publish(ctx, route.Node, BusMessage{Kind: BusNotify, UAID: uaid, Update: u})
		if err != nil {
			s.logf("simplepush: route %s to %s: %v", uaid, route.Node, err)
		}
		if ok {
			s.stats.routed.Add(1)
			return true
		}
	}
	if newer {
		s.wake(ctx, uaid)
	}
	return false
}

// wake calls the wake-up driver for a user agent that is not connected.
func (s *Server) wake(ctx context.Context, uaid string) {
	if s.opts.Wakeup == nil {
		return
	}
	w, err := s.opts.Store.Wakeup(ctx, uaid)
	if err != nil || w.IsZero() {
		return
	}
	if err := s.opts.Wakeup.Wake(ctx, uaid, w); err != nil {
		s.logf("simplepush: wake-up %s: %v", uaid, err)
		return
	}
	s.stats.wakeups.Add(1)
}

func endpointOK(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, "{}")
}

func endpointError(w http.ResponseWriter, status int, text string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b := append([]byte(`{"status":`), strconv.Itoa(status)...)
	b = append(b, `,"error":`...)
	b = appendString(b, text)
	_, _ = w.Write(append(b, '}'))
}
