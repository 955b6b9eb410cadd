package afbproto

import (
	"fmt"
	"strings"
	"sync"
)

// Event is a named event of a binding (afb_api_make_event). WebSocket
// connections receive it after a verb subscribed them (Request.Subscribe);
// Push sends it to every subscribed connection. Its methods are safe for
// concurrent use.
type Event struct {
	b    *Binder
	name string // "api/name"

	mu     sync.Mutex
	subs   map[*wsConn]struct{}
	closed bool
}

// NewEvent creates the event api/name. The name on the wire is prefixed by
// the api, as upstream ("hello" + "ev9" -> "hello/ev9").
func (b *Binder) NewEvent(api, name string) (*Event, error) {
	full := api + "/" + name
	if api == "" || name == "" || strings.ContainsRune(api, '/') || !validStringBody([]byte(full)) {
		return nil, fmt.Errorf("%w: event %q", ErrInvalidName, full)
	}
	return &Event{b: b, name: full, subs: make(map[*wsConn]struct{})}, nil
}

// Name returns the full event name, "api/name".
func (e *Event) Name() string { return e.name }

// Push sends data (marshalled like Request.Reply's response; nil sends no
// data member) to every subscribed connection and returns how many
// connections it was queued for. Pushed from a verb, the event is written
// before that verb's reply.
func (e *Event) Push(data any) (listeners int, err error) {
	raw, err := marshalData(data)
	if err != nil {
		return 0, err
	}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return 0, ErrEventClosed
	}
	conns := make([]*wsConn, 0, len(e.subs))
	for c := range e.subs {
		conns = append(conns, c)
	}
	e.mu.Unlock()
	if len(conns) == 0 {
		return 0, nil
	}
	msg := e.b.eventFrame(e.name, raw)
	for _, c := range conns {
		if c.send(msg) {
			listeners++
		}
	}
	return listeners, nil
}

// Broadcast sends the event with data to every WebSocket connection,
// subscribed or not (afb_event_broadcast), and returns how many it was
// queued for.
func (e *Event) Broadcast(data any) (int, error) {
	e.mu.Lock()
	closed := e.closed
	e.mu.Unlock()
	if closed {
		return 0, ErrEventClosed
	}
	api, name, _ := strings.Cut(e.name, "/")
	return e.b.Broadcast(api, name, data)
}

// Close detaches every subscriber; later Push and Subscribe calls fail with
// ErrEventClosed. Unlike upstream's event deletion (which crashed V6-2019
// when a connection was subscribed), it is safe at any time.
func (e *Event) Close() {
	e.mu.Lock()
	subs := e.subs
	e.subs, e.closed = nil, true
	e.mu.Unlock()
	for c := range subs {
		c.forget(e)
	}
}

// Listeners returns the number of subscribed connections.
func (e *Event) Listeners() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.subs)
}

func (e *Event) subscribe(c *wsConn) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return ErrEventClosed
	}
	if !c.remember(e) {
		return ErrNoListener // the connection is going away
	}
	e.subs[c] = struct{}{}
	return nil
}

func (e *Event) unsubscribe(c *wsConn) {
	e.mu.Lock()
	delete(e.subs, c)
	e.mu.Unlock()
	c.forget(e)
}

// drop removes c without calling back into it (c is closing).
func (e *Event) drop(c *wsConn) {
	e.mu.Lock()
	delete(e.subs, c)
	e.mu.Unlock()
}

// Broadcast sends the event api/name with data to every WebSocket
// connection, subscribed or not, and returns how many it was queued for.
func (b *Binder) Broadcast(api, name string, data any) (int, error) {
	full := api + "/" + name
	if api == "" || name == "" || !validStringBody([]byte(full)) {
		return 0, fmt.Errorf("%w: event %q", ErrInvalidName, full)
	}
	raw, err := marshalData(data)
	if err != nil {
		return 0, err
	}
	msg := b.eventFrame(full, raw)
	n := 0
	for _, c := range b.conns() {
		if c.send(msg) {
			n++
		}
	}
	return n, nil
}

// eventFrame builds [5,"name",{afb-event}] once for all receivers.
func (b *Binder) eventFrame(name string, data []byte) []byte {
	ev := EventMsg{Event: name, Data: data}
	buf := make([]byte, 0, 64+2*len(name)+len(data))
	buf = append(buf, '[', '5', ',')
	buf = appendString(buf, name)
	buf = append(buf, ',')
	buf = AppendEvent(buf, &ev, b.opts.Dialect)
	return append(buf, ']')
}
