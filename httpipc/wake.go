package httpipc

import (
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// The server app's side of wake-up on demand: it is started by a
// Registry when a client dials, listens with ListenUnix, and exits by
// itself once no client has been connected for a while (ServeIdle, or
// IdleListener with any server).

// ListenUnix listens on the unix socket path. A socket file left by an
// app that died without removing it (connecting to it is refused) is
// removed first; a socket some app still accepts on is not touched, and
// the error matches syscall.EADDRINUSE.
func ListenUnix(ctx context.Context, path string) (net.Listener, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "unix", path)
	if err == nil || !errors.Is(err, syscall.EADDRINUSE) {
		return ln, err
	}
	c, derr := dialUnix(ctx, path)
	if derr == nil {
		c.Close()
		return nil, err
	}
	if !errors.Is(derr, syscall.ECONNREFUSED) {
		return nil, err
	}
	if fi, serr := os.Lstat(path); serr != nil || fi.Mode()&os.ModeSocket == 0 {
		return nil, err // never remove a file that is not a socket
	}
	if rerr := os.Remove(path); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
		return nil, err
	}
	return lc.Listen(ctx, "unix", path)
}

// IdleListener is a net.Listener that tracks its open connections and
// closes Idle() once it has had none for its idle period, counted from
// NewIdleListener and from each last connection's close. It suits a
// server of any kind; note that a client keeping an idle connection open
// holds it up until the server closes that connection (for an httpipc
// Server, after Options.IdleTimeout). ServeIdle counts from the last
// request instead.
type IdleListener struct {
	net.Listener
	d time.Duration

	mu    sync.Mutex
	open  int
	timer *time.Timer
	idle  chan struct{}
	fired bool
}

// NewIdleListener wraps ln; d must be positive.
func NewIdleListener(ln net.Listener, d time.Duration) *IdleListener {
	l := &IdleListener{Listener: ln, d: d, idle: make(chan struct{})}
	l.mu.Lock()
	l.timer = time.AfterFunc(d, l.fire)
	l.mu.Unlock()
	return l
}

func (l *IdleListener) fire() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open == 0 && !l.fired {
		l.fired = true
		close(l.idle)
	}
}

// Idle is closed once the listener has been idle for its period. A
// connection accepted after that does not reopen it: the app is shutting
// down, and clients retry on a fresh app (GOAWAY, then a new Dial).
func (l *IdleListener) Idle() <-chan struct{} { return l.idle }

// Open returns the number of accepted connections not yet closed.
func (l *IdleListener) Open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open
}

// Accept accepts a connection and counts it open until it is closed.
func (l *IdleListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	l.open++
	l.timer.Stop()
	l.mu.Unlock()
	return &idleConn{Conn: c, l: l}, nil
}

func (l *IdleListener) closed() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if l.open == 0 {
		l.timer.Reset(l.d)
	}
}

type idleConn struct {
	net.Conn
	once sync.Once
	l    *IdleListener
}

// NetConn returns the wrapped connection (for PeerCred).
func (c *idleConn) NetConn() net.Conn { return c.Conn }

func (c *idleConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.l.closed)
	return err
}

// ServeIdle serves srv on ln until ctx is done or srv has served no
// request for idle, then shuts down gracefully: clients get GOAWAY (and
// reconnect to a fresh app), open streams finish, and ServeIdle returns
// nil. Idle time counts from the end of the last request (the handler
// returned and its response was written), or from the start if no
// request came: connections a client keeps open without a request in
// progress do not hold the app up, so it exits idle after the last
// request whatever srv.Options.IdleTimeout is. A request in progress,
// however long, is never idle.
//
// When ctx is done, ServeIdle returns ctx.Err() after the drain that
// srv.DrainTimeout sets (at once if it is zero), as Serve does.
func ServeIdle(ctx context.Context, srv *Server, ln net.Listener, idle time.Duration) error {
	if idle <= 0 {
		return errors.New("httpipc: ServeIdle: idle must be positive")
	}
	srv.lastEnd.Store(time.Now().UnixNano())
	srv.trackIdle.Store(true)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	timer := time.NewTimer(idle)
	defer timer.Stop()
	for {
		select {
		case err := <-done:
			return err
		case <-timer.C:
		}
		if srv.active.Load() > 0 {
			timer.Reset(idle)
			continue
		}
		if since := time.Since(time.Unix(0, srv.lastEnd.Load())); since < idle {
			timer.Reset(idle - since)
			continue
		}
		break
	}
	if err := srv.Shutdown(ctx); err != nil {
		<-done
		return err
	}
	if err := <-done; err != nil && !errors.Is(err, ErrServerClosed) {
		return err
	}
	return nil
}
