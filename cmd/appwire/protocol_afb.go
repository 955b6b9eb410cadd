package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/appwire/appwire/afbproto"
	"github.com/appwire/appwire/conformance"
	afbsuite "github.com/appwire/appwire/conformance/afb"
)

// serveToken is the initial token of the binder "appwire serve" starts
// (afb-daemon --token). A fixed, printed token is fine on loopback.
const serveToken = "HELLO"

func afbProtocol() protocol {
	return protocol{
		name:  "afb",
		about: "AGL binder (afb-daemon) HTTP and x-afb-ws-json1",
		suite: func() *conformance.Suite { return afbsuite.Suite() },
		serve: serveAFB,
	}
}

// serveAFB runs the reference binder with the auth and hello bindings.
func serveAFB(ctx context.Context, ln net.Listener, _ serveConfig) (*instance, error) {
	b, err := afbproto.NewBinder(afbproto.Options{
		Token: afbproto.FixedToken(serveToken),
		// Unlike afb-daemon (200 sessions that live a year), a demo server
		// that conformance runs and curl loops hit should not run out of
		// sessions: each anonymous request creates one.
		SessionMax:     1 << 16,
		SessionTimeout: time.Hour,
	})
	if err != nil {
		return nil, err
	}
	for _, api := range []afbproto.API{afbproto.NewAuthAPI(), afbproto.NewHelloAPI()} {
		if err := b.AddAPI(api); err != nil {
			return nil, err
		}
	}
	sctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- b.Serve(sctx, ln) }()
	base := "http://" + ln.Addr().String() + afbproto.DefaultRootAPI
	return &instance{
		url:    base,
		params: map[string]string{"token": serveToken},
		examples: []string{
			fmt.Sprintf("curl '%s/hello/ping?x=1'", base),
			fmt.Sprintf("curl -i '%s/auth/connect?token=%s'", base, serveToken),
			fmt.Sprintf("go run ./cmd/appwire afb call --ws --token %s %s hello/ping '{\"x\":1}'", serveToken, base),
			fmt.Sprintf("go run ./cmd/appwire conform afb %s --token %s", base, serveToken),
		},
		shutdown: func(ctx context.Context) error {
			stop()
			select {
			case err := <-done:
				if errors.Is(err, http.ErrServerClosed) {
					return nil
				}
				return err
			case <-ctx.Done():
				return ctx.Err()
			}
		},
	}, nil
}
