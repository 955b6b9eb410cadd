package mobile

import (
	"context"
	"net/http"

	"github.com/appwire/appwire/httpipc"
)

// Server serves an http.Handler to one client connection whose messages
// the platform carries.
type Server struct {
	mc     *msgConn
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

// NewServer starts serving h over the messages of one client: replies go
// out through s, incoming messages come in through Receive.
// maxMessageSize 0 means DefaultMaxMessageSize. (Not bindable: call it
// from a constructor of your own.)
func NewServer(h http.Handler, s Sender, maxMessageSize int) *Server {
	return newServer(&httpipc.Server{Handler: h}, s, maxMessageSize)
}

// NewServerFrom is NewServer with a configured httpipc.Server (limits,
// error log); srv must serve only this connection.
func NewServerFrom(srv *httpipc.Server, s Sender, maxMessageSize int) *Server {
	return newServer(srv, s, maxMessageSize)
}

func newServer(srv *httpipc.Server, s Sender, max int) *Server {
	ctx, cancel := context.WithCancel(context.Background())
	m := &Server{mc: newMsgConn(s, max), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(m.done)
		m.err = srv.ServeMessageConn(ctx, m.mc)
	}()
	return m
}

// Receive hands the server one message from the client.
func (m *Server) Receive(msg []byte) error { return m.mc.receive(msg) }

// Close ends the connection (when the platform reports the client gone:
// Binder death, XPC invalidation) and waits for the handlers to return.
func (m *Server) Close() error {
	m.mc.Close()
	m.cancel()
	<-m.done
	return nil
}
