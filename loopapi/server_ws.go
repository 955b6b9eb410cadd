package loopapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/appwire/appwire/internal/wsconn"
)

// The call websocket (section 5): each party says hello with its
// websocket token, then sends actions; the server answers with the
// call's state and broadcasts every change to both parties, on every
// node, through the Store's pub/sub.

const (
	wsHelloTimeout = 30 * time.Second // from upgrade to hello
	wsWriteTimeout = 10 * time.Second
)

func (s *Server) serveWebsocket(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.closing || (s.opts.MaxWebsockets > 0 && s.nws >= s.opts.MaxWebsockets) {
		s.mu.Unlock()
		s.fail(&request{w: w, r: r, ctx: r.Context()}, errBackend())
		return
	}
	s.nws++
	s.wsWG.Add(1)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.nws--
		s.mu.Unlock()
		s.wsWG.Done()
	}()
	c, err := wsconn.Upgrade(w, r, wsconn.UpgradeOptions{ReadLimit: s.opts.MaxMessageSize})
	if err != nil {
		return // Upgrade answered the handshake error
	}
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		_ = c.CloseNow()
		return
	}
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		_ = c.CloseNow()
	}()
	(&wsSession{s: s, c: c, progress: make(chan string, 32)}).run()
}

type wsSession struct {
	s        *Server
	c        *wsconn.Conn
	progress chan string // messages published on the call's channel

	callID   string
	role     string
	last     CallState // the last state sent, so a state is sent once
	accepted bool      // this socket sent accept
	unsub    func()
	counted  bool // ConnectDevice(+1) done
}

type wsRead struct {
	b   []byte
	err error
}

func (ws *wsSession) run() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reads := make(chan wsRead)
	go func() {
		for {
			_, b, err := ws.c.ReadMessage(ctx, nil)
			select {
			case reads <- wsRead{b, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	defer ws.cleanup()
	helloDeadline := time.NewTimer(wsHelloTimeout)
	defer helloDeadline.Stop()
	for {
		select {
		case rd := <-reads:
			if rd.err != nil {
				return // the peer left, or the server is closing it
			}
			if !ws.handle(rd.b) {
				return
			}
		case m := <-ws.progress:
			if !ws.forward(m) {
				return
			}
		case <-helloDeadline.C:
			if ws.callID == "" {
				ws.fail(ErrWSNotHelloFirst)
				return
			}
		}
	}
}

func (ws *wsSession) send(m WSMessage) error {
	b, _ := json.Marshal(m)
	ctx, cancel := context.WithTimeout(context.Background(), wsWriteTimeout)
	defer cancel()
	return ws.c.WriteText(ctx, b)
}

// fail sends an error message and closes, as upstream.
func (ws *wsSession) fail(err error) {
	reason := err.Error()
	var we WSError
	if !errors.As(err, &we) {
		ws.s.logf("loopapi: websocket: %v", err)
		reason = string(ErrWSUnavailable)
	}
	_ = ws.send(WSMessage{MessageType: MsgError, Reason: reason})
	ws.close()
}

func (ws *wsSession) close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = ws.c.Close(ctx, wsconn.StatusNormalClosure, "")
}

// handle processes one client message; false ends the session.
func (ws *wsSession) handle(b []byte) bool {
	m, err := ParseWSMessage(b)
	if err != nil {
		ws.fail(err)
		return false
	}
	switch m.MessageType {
	case MsgEcho:
		return ws.send(WSMessage{MessageType: MsgEcho, Echo: m.Echo}) == nil
	case MsgHello:
		return ws.hello(m)
	}
	if ws.callID == "" {
		ws.fail(ErrWSNotHelloFirst)
		return false
	}
	return ws.action(m)
}

func (ws *wsSession) hello(m WSMessage) bool {
	s := ws.s
	if ws.callID != "" {
		ws.fail(WSError("hello already received"))
		return false
	}
	ctx, cancel := s.storeCtx()
	defer cancel()
	call, err := s.store.Call(ctx, m.CallID)
	if errors.Is(err, ErrNotFound) {
		ws.fail(ErrWSBadCallID)
		return false
	}
	if err != nil {
		ws.fail(err)
		return false
	}
	switch m.Auth {
	case call.WSCalleeToken:
		ws.role = RoleCallee
	case call.WSCallerToken:
		ws.role = RoleCaller
	default:
		ws.fail(ErrWSBadAuth)
		return false
	}
	ws.callID = call.CallID
	progress := ws.progress
	ws.unsub, err = s.store.Subscribe(ctx, ws.callID, func(msg string) {
		select {
		case progress <- msg:
		default: // a state is missed only if 32 are queued; the last one matters
		}
	})
	if err != nil {
		ws.fail(err)
		return false
	}
	if _, err := s.store.ConnectDevice(ctx, ws.callID, ws.role, 1); err != nil {
		ws.fail(err)
		return false
	}
	ws.counted = true
	st, reason, err := s.store.CallState(ctx, ws.callID)
	if err != nil {
		ws.fail(err)
		return false
	}
	helloState := st
	if st == StateHalfInitiated {
		helloState = StateInit // half-initiated is never shown
	}
	ws.last = helloState
	if err := ws.send(WSMessage{MessageType: MsgHello, State: helloState, Reason: reason}); err != nil {
		return false
	}
	if st == StateTerminated {
		ws.close()
		return false
	}
	callID := ws.callID
	s.after(s.opts.SupervisoryDuration, func() { s.timeout(callID, StateHalfInitiated) })
	if st == StateInit || st == StateHalfInitiated {
		marker := MarkInitCaller
		if ws.role == RoleCallee {
			marker = MarkInitCallee
			s.after(s.opts.RingingDuration, func() { s.timeout(callID, StateAlerting) })
		}
		if _, err := s.advance(ctx, callID, marker); err != nil {
			ws.fail(err)
			return false
		}
	}
	return true
}

func (ws *wsSession) action(m WSMessage) bool {
	s := ws.s
	ctx, cancel := s.storeCtx()
	defer cancel()
	if m.Event == EventTerminate {
		if err := s.terminate(ctx, ws.callID, m.Reason); err != nil {
			ws.fail(err)
			return false
		}
		return true
	}
	st, _, err := s.store.CallState(ctx, ws.callID)
	if err != nil {
		ws.fail(err)
		return false
	}
	noTransition := WSError("No transition from " + string(st) + " state with " + m.Event + " event.")
	switch m.Event {
	case EventAccept:
		if st != StateAlerting || ws.role != RoleCallee {
			ws.fail(noTransition)
			return false
		}
		ws.accepted = true
		if _, err := s.advance(ctx, ws.callID, MarkConnecting); err != nil {
			ws.fail(err)
			return false
		}
		callID := ws.callID
		s.after(s.opts.ConnectionDuration, func() { s.timeout(callID, StateConnecting, StateHalfConnected) })
	case EventMediaUp:
		if st != StateConnecting && st != StateHalfConnected {
			ws.fail(noTransition)
			return false
		}
		marker := MarkConnectedCaller
		if ws.role == RoleCallee {
			marker = MarkConnectedCallee
		}
		if _, err := s.advance(ctx, ws.callID, marker); err != nil {
			ws.fail(err)
			return false
		}
	}
	return true
}

// forward sends a published state to this party; false ends the session
// (the call is connected or over).
func (ws *wsSession) forward(msg string) bool {
	st, reason := parseProgress(msg)
	if ws.role == RoleCallee && st == StateConnecting && !ws.accepted {
		// Another device of the callee answered.
		_ = ws.send(WSMessage{MessageType: MsgProgress, State: StateTerminated, Reason: ReasonAnsweredElsewhere})
		ws.last = StateTerminated
		ws.close()
		return false
	}
	if st == ws.last {
		return true
	}
	ws.last = st
	if err := ws.send(WSMessage{MessageType: MsgProgress, State: st, Reason: reason}); err != nil {
		return false
	}
	if st == StateTerminated || st == StateConnected {
		ws.close()
		return false
	}
	return true
}

// cleanup runs when the socket ends: a party whose last socket leaves
// before the call is connected terminates it ("closed"), unless the
// server is shutting down (the party may come back through another node).
func (ws *wsSession) cleanup() {
	if ws.unsub != nil {
		ws.unsub()
	}
	if !ws.counted {
		return
	}
	s := ws.s
	ctx, cancel := s.storeCtx()
	defer cancel()
	n, err := s.store.ConnectDevice(ctx, ws.callID, ws.role, -1)
	if err != nil || n > 0 || ws.last == StateTerminated || ws.last == StateConnected {
		return
	}
	s.mu.Lock()
	closing := s.closing
	s.mu.Unlock()
	if closing {
		return
	}
	st, _, err := s.store.CallState(ctx, ws.callID)
	if err == nil && st != StateTerminated && st != StateConnected {
		_ = s.terminate(ctx, ws.callID, ReasonClosed)
	}
}

// advance adds a marker to the call's state set and broadcasts the state
// it gives (half-initiated is internal and not broadcast).
func (s *Server) advance(ctx context.Context, callID, marker string) (CallState, error) {
	st, err := s.store.AddCallState(ctx, callID, marker)
	if err != nil {
		return st, err
	}
	if st != StateHalfInitiated {
		err = s.store.Publish(ctx, callID, progressMessage(st, ""))
	}
	return st, err
}

// terminate ends a call and broadcasts "terminated[:reason]".
func (s *Server) terminate(ctx context.Context, callID, reason string) error {
	if err := s.store.TerminateCall(ctx, callID, reason); err != nil {
		return err
	}
	return s.store.Publish(ctx, callID, progressMessage(StateTerminated, reason))
}

// timeout terminates the call with reason "timeout" if it is still in
// one of states when a timer runs out.
func (s *Server) timeout(callID string, states ...CallState) {
	ctx, cancel := s.storeCtx()
	defer cancel()
	st, _, err := s.store.CallState(ctx, callID)
	if err != nil {
		s.logf("loopapi: timer: %v", err)
		return
	}
	for _, want := range states {
		if st == want {
			if err := s.terminate(ctx, callID, ReasonTimeout); err != nil {
				s.logf("loopapi: timer: %v", err)
			}
			return
		}
	}
}
