package httpipc

import (
	"context"
	"errors"
	"net"
	"net/http"
)

// Listen listens on addr for the bridge: "" means "127.0.0.1:0", a free
// loopback port. An address that is not loopback fails with
// ErrNotLoopback unless BridgeOptions.AllowNonLoopback is set.
func (b *Bridge) Listen(ctx context.Context, addr string) (net.Listener, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if err := b.checkListener(ln); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}

func (b *Bridge) checkListener(ln net.Listener) error {
	if b.opts.AllowNonLoopback {
		return nil
	}
	switch a := ln.Addr().(type) {
	case *net.TCPAddr:
		if a.IP.IsLoopback() {
			return nil
		}
	case *net.UnixAddr:
		return nil // reachable only through the file system
	}
	return wrapf(ErrNotLoopback, ln.Addr().String())
}

// Serve serves the bridge on ln until ctx is done; it then stops
// accepting, lets open requests finish for a few seconds, closes what is
// left and returns ctx.Err(). A listener that is not loopback is closed
// and refused with ErrNotLoopback unless AllowNonLoopback is set.
func (b *Bridge) Serve(ctx context.Context, ln net.Listener) error {
	if err := b.checkListener(ln); err != nil {
		ln.Close()
		return err
	}
	hs := &http.Server{
		Handler:           b,
		ReadHeaderTimeout: DefaultBridgeReadHeaderTimeout,
		// net/http answers 431 past this plus 4 KiB of slack; ServeHTTP
		// then applies the exact limit to the fields.
		MaxHeaderBytes: b.opts.MaxRequestHeaderBytes,
		ErrorLog:       b.opts.ErrorLog,
		BaseContext:    func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	done := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(done)
		sctx, cancel := context.WithTimeout(context.Background(), bridgeShutdownGrace)
		defer cancel()
		if hs.Shutdown(sctx) != nil {
			hs.Close()
		}
	})
	err := hs.Serve(ln)
	if stop() {
		return err // Serve failed on its own; ctx is not done
	}
	<-done
	if errors.Is(err, http.ErrServerClosed) {
		return ctx.Err()
	}
	return err
}
