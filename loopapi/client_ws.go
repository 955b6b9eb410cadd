package loopapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/appwire/appwire/internal/wsconn"
)

// CallConn is one party's call websocket (the progressURL of a call).
type CallConn struct {
	c     *wsconn.Conn
	state CallState
}

// ErrCallEnded: the call reached a state that ends the websocket (or the
// server closed it) before the state waited for.
var ErrCallEnded = errors.New("loopapi: call ended")

// DialCall opens the call websocket at progressURL and says hello with
// the call's id and this party's websocket token; it returns once the
// server's hello arrived. A refusal (bad callId, bad authentication) is a
// WSError.
func DialCall(ctx context.Context, progressURL, callID, websocketToken string) (*CallConn, error) {
	c, err := wsconn.Dial(ctx, progressURL, wsconn.DialOptions{ReadLimit: DefaultMaxMessageSize})
	if err != nil {
		return nil, err
	}
	cc := &CallConn{c: c}
	if err := cc.send(ctx, WSMessage{MessageType: MsgHello, CallID: callID, Auth: websocketToken}); err != nil {
		c.CloseNow()
		return nil, err
	}
	m, err := cc.Next(ctx)
	if err != nil {
		c.CloseNow()
		return nil, err
	}
	if m.MessageType != MsgHello {
		c.CloseNow()
		return nil, fmt.Errorf("loopapi: expected hello, got %q", m.MessageType)
	}
	return cc, nil
}

// State is the last state the server reported.
func (cc *CallConn) State() CallState { return cc.state }

func (cc *CallConn) send(ctx context.Context, m WSMessage) error {
	b, _ := json.Marshal(m)
	return cc.c.WriteText(ctx, b)
}

// Next reads the next server message. An error message is returned as
// its WSError; a closed socket as an error wrapping ErrCallEnded.
func (cc *CallConn) Next(ctx context.Context) (WSMessage, error) {
	var m WSMessage
	_, b, err := cc.c.ReadMessage(ctx, nil)
	if err != nil {
		if errors.Is(err, wsconn.ErrClosed) || wsconn.CloseStatus(err) >= 0 {
			return m, fmt.Errorf("%w: %v", ErrCallEnded, err)
		}
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("loopapi: bad message from server: %w", err)
	}
	if m.MessageType == MsgError {
		return m, WSError(m.Reason)
	}
	if m.State != "" {
		cc.state = m.State
	}
	return m, nil
}

// Await reads messages until the state is want. Reaching terminated
// (when not wanted) is an error wrapping ErrCallEnded with the reason.
func (cc *CallConn) Await(ctx context.Context, want CallState) error {
	if cc.state == want {
		return nil
	}
	for {
		m, err := cc.Next(ctx)
		if err != nil {
			return err
		}
		if m.State == want {
			return nil
		}
		if m.State == StateTerminated {
			return fmt.Errorf("%w: terminated (%s) while waiting for %s", ErrCallEnded, m.Reason, want)
		}
	}
}

// Accept sends the callee's accept.
func (cc *CallConn) Accept(ctx context.Context) error {
	return cc.send(ctx, WSMessage{MessageType: MsgAction, Event: EventAccept})
}

// MediaUp says this party's media is flowing.
func (cc *CallConn) MediaUp(ctx context.Context) error {
	return cc.send(ctx, WSMessage{MessageType: MsgAction, Event: EventMediaUp})
}

// Terminate ends the call with reason ("" for none).
func (cc *CallConn) Terminate(ctx context.Context, reason string) error {
	if reason != "" && !ValidReason(reason) {
		return ErrWSBadReason
	}
	return cc.send(ctx, WSMessage{MessageType: MsgAction, Event: EventTerminate, Reason: reason})
}

// Close closes the websocket.
func (cc *CallConn) Close() error { return cc.c.CloseNow() }
