package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/appwire/appwire/afbproto"
	"github.com/appwire/appwire/conformance"
	afbsuite "github.com/appwire/appwire/conformance/afb"
)

// serveToken is the initial token of the binder "appwire serve" starts
// unless --afb-token says otherwise. A fixed, printed token is fine on
// loopback; afb-daemon draws a random one when --token is not given.
const serveToken = "HELLO"

// afbServeConfig is what the "serve" flags set for the binder.
type afbServeConfig struct {
	dialect        afbproto.Dialect
	token          string
	sessionTimeout time.Duration
	sessionMax     int
}

func afbProtocol() protocol {
	cfg := &afbServeConfig{token: serveToken, sessionTimeout: time.Hour, sessionMax: 1 << 16}
	return protocol{
		name:  "afb",
		about: "AGL binder (afb-daemon) HTTP and x-afb-ws-json1",
		suite: afbsuite.Suite,
		probe: probeAFB,
		hint:  afbHint,
		serveProfile: func(profile string) error {
			d, err := afbproto.ParseDialect(profile)
			cfg.dialect = d
			return err
		},
		serveFlags: func(fs *flag.FlagSet) {
			fs.Func("afb-dialect", "upstream `dialect` on the wire: v6 (afb-daemon 2019), v1 (2016), final (AGL-final), libafb (default v6)",
				func(v string) error {
					d, err := afbproto.ParseDialect(v)
					if err != nil {
						return errors.New("want v6, v1, final or libafb")
					}
					cfg.dialect = d
					return nil
				})
			fs.StringVar(&cfg.token, "afb-token", cfg.token,
				"initial token of new sessions (afb-daemon --token; upstream default: a random token)")
			fs.DurationVar(&cfg.sessionTimeout, "afb-session-timeout", cfg.sessionTimeout,
				"lifetime of a session (afb-daemon --session-timeout; upstream default 32000000s, about a year)")
			fs.IntVar(&cfg.sessionMax, "afb-session-max", cfg.sessionMax,
				"most live sessions; each anonymous request creates one (afb-daemon --session-max; upstream default 200)")
		},
		serve: func(ctx context.Context, ln net.Listener, _ *serveEnv) (*instance, error) {
			return serveAFB(ctx, ln, cfg)
		},
		fuzz: afbFuzzer(),
		tool: &command{"afb", "AGL binder tools: afb call URL api/verb [JSON]", cmdAFB},
	}
}

// serveAFB runs the reference binder with the auth and hello bindings.
func serveAFB(ctx context.Context, ln net.Listener, cfg *afbServeConfig) (*instance, error) {
	if cfg.token == "" {
		return nil, errors.New("--afb-token must not be empty (the printed examples present it)")
	}
	if cfg.sessionTimeout <= 0 || cfg.sessionMax <= 0 {
		return nil, errors.New("--afb-session-timeout and --afb-session-max must be positive")
	}
	b, err := afbproto.NewBinder(afbproto.Options{
		Dialect:        cfg.dialect,
		Token:          afbproto.FixedToken(cfg.token),
		SessionMax:     cfg.sessionMax,
		SessionTimeout: cfg.sessionTimeout,
	})
	if err != nil {
		return nil, err
	}
	for _, api := range []afbproto.API{afbproto.NewAuthAPI(), afbproto.NewHelloAPI()} {
		if err := b.AddAPI(api); err != nil {
			return nil, err
		}
	}
	// Binder.Serve shuts down gracefully when its context ends: the HTTP
	// server drains, then WebSockets get close 1001.
	sctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- b.Serve(sctx, ln) }()
	base := "http://" + ln.Addr().String() + afbproto.DefaultRootAPI
	conform := fmt.Sprintf("go run ./cmd/appwire conform afb %s --token %s", base, cfg.token)
	switch cfg.dialect {
	case afbproto.DialectAGLFinal:
		conform += " --profile " + afbsuite.ProfileFinal
	case afbproto.DialectLibafb:
		conform += " --profile " + afbsuite.ProfileLibafb
	}
	return &instance{
		url:    base,
		params: map[string]string{"token": cfg.token},
		value:  b,
		examples: []string{
			fmt.Sprintf("curl '%s/hello/ping?x=1'", base),
			fmt.Sprintf("curl -i '%s/auth/connect?token=%s'", base, cfg.token),
			fmt.Sprintf("go run ./cmd/appwire afb call --ws --token %s %s hello/ping '{\"x\":1}'", cfg.token, base),
			conform,
			fmt.Sprintf("go run ./cmd/appwire fuzz afb %s --duration 10s --token %s", base, cfg.token),
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

// probeAFB checks that target is a binder's HTTP API root that answers
// HTTP at all. Any status will do: the cases judge the answers.
func probeAFB(ctx context.Context, target conformance.Target) error {
	u, err := url.Parse(target.URL)
	switch {
	case err != nil:
		return fmt.Errorf("%q is not a URL: want the binder's API root, http://HOST:PORT/api", target.URL)
	case u.Scheme == "ws" || u.Scheme == "wss":
		return fmt.Errorf("%q: give the binder's HTTP API root (http://%s%s); the suite derives the WebSocket URL from it", target.URL, u.Host, u.Path)
	case u.Scheme != "http" && u.Scheme != "https", u.Host == "":
		return fmt.Errorf("%q is not an http:// URL: want the binder's API root, http://HOST:PORT/api", target.URL)
	}
	return probeHTTP(ctx, strings.TrimRight(target.URL, "/")+"/")
}

// probeHTTP sends one GET and accepts any HTTP response.
func probeHTTP(ctx context.Context, rawURL string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return err
	}
	hc := &http.Client{
		Transport:     &http.Transport{DisableKeepAlives: true, Proxy: nil},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("GET %s: %w", rawURL, err)
	}
	resp.Body.Close()
	return nil
}

// afbHint says once that the binder wants a token when cases got 401 and
// no --token was given.
func afbHint(rep *conformance.Report, target conformance.Target) string {
	if target.Params["token"] != "" {
		return ""
	}
	n := 0
	for _, r := range rep.Results {
		if r.Verdict != conformance.Fail && r.Verdict != conformance.Error {
			continue
		}
		// A refused upgrade or call says 401; the auth binding's verbs
		// answer 200 with "denied" and "invalid token's identity".
		for _, s := range []string{r.Actual, r.Message} {
			if strings.Contains(s, "401") || strings.Contains(s, "invalid token") {
				n++
				break
			}
		}
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%d cases were refused for want of a token (401, or \"invalid token\") and no --token was given: "+
		"the binder wants its initial token (afb-daemon --token); run again with --token TOKEN", n)
}
