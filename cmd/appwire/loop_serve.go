package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/redis/go-redis/v9"

	loopsuite "github.com/appwire/appwire/conformance/loop"
	"github.com/appwire/appwire/internal/wsconn"
	"github.com/appwire/appwire/loopapi"
	"github.com/appwire/appwire/loopapi/redisstore"
)

// loopServeConfig is what the "serve" flags set for the Loop server.
type loopServeConfig struct {
	profile                          string
	supervisory, ringing, connection time.Duration
	callDuration                     time.Duration
}

// serveLoop runs the reference Loop server wired to the SimplePush server
// started before it: its URL is the push server the API hands out, and
// callees registered with it are woken through it. With --redis the state
// lives in Redis (upstream's keys) and the secrets are shared there, so
// several "appwire serve" processes serve the same users.
func serveLoop(ctx context.Context, ln net.Listener, env *serveEnv, cfg *loopServeConfig) (*instance, error) {
	var profile loopapi.Profile
	switch cfg.profile {
	case "0.17", "":
		profile = loopapi.Profile017
	case "head":
		profile = loopapi.ProfileHead
	default:
		return nil, fmt.Errorf("--loop-profile %q: want 0.17 or head", cfg.profile)
	}
	if cfg.supervisory < 0 || cfg.ringing < 0 || cfg.connection < 0 || cfg.callDuration < 0 {
		return nil, errors.New("the --loop-*-duration timers must not be negative")
	}
	push := env.instance("simplepush")
	if push == nil {
		return nil, errors.New("loop needs the simplepush server (serve starts it first)")
	}
	base := "http://" + ln.Addr().String()
	// progressURL and the Hawk host come from each request's Host header,
	// so the server answers right whatever name a client uses for it.
	opts := loopapi.Options{
		Profile:        profile,
		PushServerURIs: []string{push.url},
		PushCheck: func(ctx context.Context, uri string) error {
			c, err := wsconn.Dial(ctx, uri, wsconn.DialOptions{})
			if err == nil {
				c.CloseNow()
			}
			return err
		},
		CallURLTemplate: base + "/v0/calls/{token}",

		SupervisoryDuration: cfg.supervisory,
		RingingDuration:     cfg.ringing,
		ConnectionDuration:  cfg.connection,
		CallDuration:        cfg.callDuration,
	}
	closeRedis := func() {}
	if env.redisURL != "" {
		ropts, err := redis.ParseURL(env.redisURL)
		if err != nil {
			return nil, fmt.Errorf("--redis: %w", err)
		}
		rdb := redis.NewClient(ropts)
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		for _, s := range []struct {
			key string
			dst *[]byte
		}{{"appwire:loop:hawk-id-secret", &opts.HawkIDSecret}, {"appwire:loop:user-mac-secret", &opts.UserMacSecret}} {
			if *s.dst, err = sharedSecret(rctx, rdb, s.key); err != nil {
				rdb.Close()
				return nil, err
			}
		}
		st, err := redisstore.New(rdb, redisstore.Options{})
		if err != nil {
			rdb.Close()
			return nil, err
		}
		opts.Store = st
		closeRedis = func() { _ = st.Close(); _ = rdb.Close() }
	}
	s, err := loopapi.NewServer(opts)
	if err != nil {
		closeRedis()
		return nil, err
	}
	sctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- s.Serve(sctx, ln) }()
	examples := []string{
		fmt.Sprintf("go run ./cmd/appwire loop callee %s --push %s    # the callee: SimplePush + Loop registration, prints its call-url, answers when woken", base, push.url),
		fmt.Sprintf("go run ./cmd/appwire loop call %s CALL_URL    # the caller, in another terminal, with the call-url the callee printed: both reach connected", base),
		fmt.Sprintf("go run ./cmd/appwire loop register %s    # step by step instead: prints a session; then loop call-url, calls, join (go run ./cmd/appwire loop --help)", base),
		fmt.Sprintf("curl -s %s/ ; curl -si -X POST %s/registration    # the API by hand: the root, then a new session in Hawk-Session-Token", base, base),
	}
	if profile == loopapi.ProfileHead {
		examples = examples[2:] // POST /call-url answers 405 in the head profile
	}
	// The suite parameters that fit: the local verifier's assertions, the
	// replay check, and the timers given (the others keep upstream's
	// values, which the suite does not wait for). The replay case is
	// SHOULD-level: --strict runs it.
	params := map[string]string{
		loopsuite.ParamAssertion:   "local:{identity}",
		loopsuite.ParamReplayCheck: "true",
	}
	conform := fmt.Sprintf("go run ./cmd/appwire conform loop %s --strict --%s local:{identity} --%s true", base, loopsuite.ParamAssertion, loopsuite.ParamReplayCheck)
	if profile == loopapi.ProfileHead {
		conform += " --profile " + loopsuite.ProfileHead
	}
	for _, p := range []struct {
		name string
		d    time.Duration
	}{{loopsuite.ParamSupervisory, cfg.supervisory}, {loopsuite.ParamRinging, cfg.ringing}, {loopsuite.ParamConnection, cfg.connection}, {loopsuite.ParamCallDuration, cfg.callDuration}} {
		if p.d > 0 {
			params[p.name] = p.d.String()
			conform += fmt.Sprintf(" --%s %s", p.name, p.d)
		}
	}
	return &instance{
		url:      base,
		params:   params,
		value:    s,
		examples: append(examples, conform),
		shutdown: func(ctx context.Context) error {
			stop()
			select {
			case err := <-done:
				closeRedis()
				return err
			case <-ctx.Done():
				return ctx.Err()
			}
		},
	}, nil
}

// sharedSecret returns the 16-byte secret stored (hex) at key, creating it
// when absent, so every "serve --redis" process uses the same one.
func sharedSecret(ctx context.Context, rdb *redis.Client, key string) ([]byte, error) {
	b := make([]byte, 16)
	rand.Read(b)
	if _, err := rdb.SetNX(ctx, key, hex.EncodeToString(b), 0).Result(); err != nil {
		return nil, fmt.Errorf("--redis: %w", err)
	}
	v, err := rdb.Get(ctx, key).Result()
	if err != nil {
		return nil, fmt.Errorf("--redis: %w", err)
	}
	s, err := hex.DecodeString(v)
	if err != nil || len(s) < 16 {
		return nil, fmt.Errorf("--redis: %s does not hold a hex secret", key)
	}
	return s, nil
}
