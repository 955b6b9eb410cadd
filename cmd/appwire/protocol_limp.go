package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/appwire/appwire/conformance"
	limpsuite "github.com/appwire/appwire/conformance/limp"
	"github.com/appwire/appwire/limpwire"
	"github.com/appwire/appwire/limpwire/limpwiretest"
	"github.com/appwire/appwire/limpwire/mongostore"
)

// limpDemoApp is the client app "appwire serve" accepts.
const limpDemoApp = "appwire-demo"

// limpServeConfig is what the "serve" flags set for the LIMP server.
type limpServeConfig struct {
	mongoURI, mongoDB string
	password          string
}

func limpProtocol() protocol {
	cfg := &limpServeConfig{mongoDB: "appwire_limp"}
	return protocol{
		name:  "limp",
		about: "LIMP 6.0 (calls over a WebSocket signed as HS256 JWTs; sessions, queries, uploads)",
		suite: limpsuite.Suite,
		probe: probeLIMP,
		hint: func(rep *conformance.Report, target conformance.Target) string {
			if target.Params[limpsuite.ParamCollection] == "" {
				return "the query cases were skipped: --collection names a module anyone may read and write"
			}
			return ""
		},
		serveFlags: func(fs *flag.FlagSet) {
			fs.StringVar(&cfg.mongoURI, "limp-mongo", "", "keep LIMP users, sessions and data in this MongoDB (mongodb://...) instead of memory")
			fs.StringVar(&cfg.mongoDB, "limp-mongo-db", cfg.mongoDB, "the MongoDB database for --limp-mongo")
			fs.StringVar(&cfg.password, "limp-admin-password", "", "the admin's password, set at every start, also on a --limp-mongo database (default: a random one, printed)")
		},
		serve: func(ctx context.Context, ln net.Listener, env *serveEnv) (*instance, error) {
			return serveLIMP(ctx, ln, cfg)
		},
		fuzz: limpFuzzer(),
		tool: &command{"limp", "LIMP tools: limp call URL ENDPOINT, limp upload URL ENDPOINT FILE...", cmdLimp},
	}
}

// serveLIMP runs the reference server with the demo app, the admin user
// and the open "item" and "blob" modules (limpwiretest.Setup).
func serveLIMP(ctx context.Context, ln net.Listener, cfg *limpServeConfig) (*instance, error) {
	opts := limpwire.Options{
		ClientApps: []limpwire.ClientApp{{ID: limpDemoApp}},
		// The conformance suite runs about 300 calls from one address.
		QuotaIP: 10000,
	}
	storeNote := "in memory"
	if cfg.mongoURI != "" {
		dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		st, err := mongostore.Dial(dctx, cfg.mongoURI, cfg.mongoDB, mongostore.Options{})
		cancel()
		if err != nil {
			return nil, err
		}
		opts.Store = st
		storeNote = "MongoDB " + cfg.mongoDB
	}
	s := limpwire.NewServer(opts)
	closeStore := func() { _ = s.Store().Close(context.Background()) }
	password := cfg.password
	if password == "" {
		var b [9]byte
		_, _ = rand.Read(b[:])
		password = hex.EncodeToString(b[:])
	}
	if err := limpwiretest.Setup(ctx, s); err != nil {
		closeStore()
		return nil, err
	}
	if err := limpSetAdminPassword(ctx, s, password); err != nil {
		closeStore()
		return nil, err
	}
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	u := "ws://" + ln.Addr().String() + "/ws"
	email := limpwiretest.AdminEmail
	params := map[string]string{
		limpsuite.ParamApp: limpDemoApp, limpsuite.ParamWrongApp: "not-" + limpDemoApp,
		limpsuite.ParamAuthValue: email, limpsuite.ParamPassword: password,
		limpsuite.ParamCollection: "item", limpsuite.ParamUploadEndpoint: "blob/create",
	}
	return &instance{
		url:    u,
		params: params,
		value:  s,
		examples: []string{
			fmt.Sprintf("# LIMP store: %s; app id %s; admin %s, password %s", storeNote, limpDemoApp, email, password),
			fmt.Sprintf(`go run ./cmd/appwire limp call %s user/read --app %s --auth email:%s --password %s`, u, limpDemoApp, email, password),
			fmt.Sprintf(`go run ./cmd/appwire limp call %s item/create --app %s --doc '{"name":"first","n":1}'`, u, limpDemoApp),
			fmt.Sprintf(`go run ./cmd/appwire limp call %s item/read --app %s --query '[{"n":{"$gte":1}},{"$limit":5}]'`, u, limpDemoApp),
			fmt.Sprintf(`go run ./cmd/appwire limp upload %s blob/create --app %s go.mod`, u, limpDemoApp),
			fmt.Sprintf("go run ./cmd/appwire conform limp %s --app %s --wrong-app not-%s --auth-value %s --password %s --collection item --upload-endpoint blob/create",
				u, limpDemoApp, limpDemoApp, email, password),
		},
		shutdown: func(ctx context.Context) error {
			defer closeStore()
			err := hs.Shutdown(ctx)
			if serr := s.Shutdown(ctx); err == nil {
				err = serr
			}
			<-done
			return err
		},
	}, nil
}

// limpSetAdminPassword gives the admin (limpwire.AdminUserID) password,
// at hash level 5.6, whatever it had.
func limpSetAdminPassword(ctx context.Context, s *limpwire.Server, password string) error {
	q, err := limpwire.ParseQuery([]any{map[string]any{"_id": limpwire.AdminUserID}})
	if err != nil {
		return err
	}
	hash := limpwire.AuthHash(limpwire.HashLevel56, "email", limpwiretest.AdminEmail, password, s.Options().AnonToken)
	_, err = s.Store().Update(ctx, limpwire.UserCollection, q, limpwire.Doc{"email_hash": hash})
	return err
}

// probeLIMP checks that target is a ws:// URL whose server greets like a
// LIMP 6.0 (or 5.x) server.
func probeLIMP(ctx context.Context, target conformance.Target) error {
	if !strings.HasPrefix(target.URL, "ws://") && !strings.HasPrefix(target.URL, "wss://") {
		return fmt.Errorf("%q is not a ws:// URL: want the LIMP server's WebSocket URL, ws://HOST:PORT/ws", target.URL)
	}
	c, err := limpwire.Dial(ctx, target.URL, limpwire.ClientOptions{App: target.Params[limpsuite.ParamApp], Heartbeat: -1})
	if err != nil {
		return fmt.Errorf("LIMP greeting and verify at %s: %w", target.URL, err)
	}
	return c.Close()
}
