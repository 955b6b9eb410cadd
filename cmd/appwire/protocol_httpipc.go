package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/appwire/appwire/conformance"
	"github.com/appwire/appwire/fuzz"

	ipcsuite "github.com/appwire/appwire/conformance/httpipc"
	"github.com/appwire/appwire/httpipc"
)

func httpipcProtocol() protocol {
	return protocol{
		name:  "httpipc",
		about: "HTTP over IPC (unix socket) with the localhost bridge and offline OAuth",
		// TARGET is instance.url: a second socket serving the suite's
		// reference handler, so "conform self" runs every case.
		suite: ipcsuite.Suite,
		probe: probeHTTPIPC,
		serve: func(ctx context.Context, ln net.Listener, _ *serveEnv) (*instance, error) {
			return serveHTTPIPC(ctx, ln)
		},
		fuzz: httpipcFuzzer(),
		tool: &command{"ipc", "HTTP over IPC: ipc serve, ipc bridge, ipc call", cmdIPC},
	}
}

// serveHTTPIPC serves the demo OAuth authorization-and-API app over
// httpipc on a unix socket in a fresh temporary directory, and the
// localhost bridge to it on ln. It runs the offline flow once over IPC so
// that the printed API call works as pasted. A second socket serves the
// conformance suite's reference handler (ipcsuite.Handler): the target of
// "appwire conform httpipc".
func serveHTTPIPC(ctx context.Context, ln net.Listener) (*instance, error) {
	if a, ok := ln.Addr().(*net.TCPAddr); ok && !a.IP.IsLoopback() {
		return nil, fmt.Errorf("%w: %s (the bridge would give any host on the network the local client's access; use --only to leave httpipc out)", httpipc.ErrNotLoopback, a)
	}
	dir, err := os.MkdirTemp("", "appwire-ipc")
	if err != nil {
		return nil, err
	}
	sock := filepath.Join(dir, "demo.sock")
	conformSock := filepath.Join(dir, "conform.sock")
	bridgeURL := "http://" + ln.Addr().String()
	app, err := newDemoApp(bridgeURL)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	uln, err := net.Listen("unix", sock) // the directory is 0700: only this user reaches it
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	cln, err := net.Listen("unix", conformSock)
	if err != nil {
		uln.Close()
		os.RemoveAll(dir)
		return nil, err
	}
	// The servers run until shutdown, which drains them: the bridge first
	// (Bridge.Serve drains when its context ends; its requests in flight
	// finish through the app's socket), then both httpipc servers send
	// GOAWAY and finish their open streams (Server.Shutdown). Their own
	// context ends last: cancelling it would close connections at once.
	bridgeCtx, stopBridge := context.WithCancel(context.WithoutCancel(ctx))
	sctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	srv := &httpipc.Server{Handler: app}
	conformSrv := &httpipc.Server{Handler: ipcsuite.Handler()}
	tr := httpipc.UnixTransport(sock)
	b := httpipc.NewBridge(tr, httpipc.BridgeOptions{Forwarded: true})
	srvDone, bridgeDone, conformDone := make(chan error, 1), make(chan error, 1), make(chan error, 1)
	go func() { srvDone <- srv.Serve(sctx, uln) }()
	go func() { bridgeDone <- b.Serve(bridgeCtx, ln) }()
	go func() { conformDone <- conformSrv.Serve(sctx, cln) }()
	wait := func(ctx context.Context, ch chan error) error {
		select {
		case err := <-ch:
			if errors.Is(err, context.Canceled) || errors.Is(err, httpipc.ErrServerClosed) {
				return nil
			}
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	shutdown := func(ctx context.Context) error {
		defer os.RemoveAll(dir)
		defer stop()
		stopBridge()
		errs := []error{wait(ctx, bridgeDone)}
		tr.Close()
		errs = append(errs, srv.Shutdown(ctx), conformSrv.Shutdown(ctx))
		errs = append(errs, wait(ctx, srvDone), wait(ctx, conformDone))
		return errors.Join(errs...)
	}

	tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	token, err := demoToken(tctx, tr)
	cancel()
	if err != nil {
		shutdown(context.Background())
		return nil, fmt.Errorf("demo flow over IPC: %w", err)
	}
	u := bridgeURL
	authorize := u + "/authorize?response_type=code&client_id=" + demoClientID +
		"&redirect_uri=" + demoRedirect + "&scope=profile+notes:read+notes:write&state=" + demoState +
		"&code_challenge=" + demoChallenge + "&code_challenge_method=S256"
	return &instance{
		url: "unix://" + conformSock,
		examples: []string{
			"# the reference OAuth app serves over httpipc on " + sock + "; the bridge to it is " + u,
			fmt.Sprintf("curl %s/.well-known/oauth-authorization-server", u),
			fmt.Sprintf("curl -H 'Authorization: Bearer %s' %s/api/me", token, u),
			fmt.Sprintf("go run ./cmd/appwire ipc call --socket %s GET /api/me -H 'Authorization: Bearer %s'", sock, token),
			"# the whole flow by hand (PKCE verifier from RFC 7636 Appendix B):",
			fmt.Sprintf("code=$(curl -s -o /dev/null -w '%%{redirect_url}' '%s' | sed 's/.*[?&]code=\\([^&]*\\).*/\\1/')", authorize),
			fmt.Sprintf("tok=$(curl -s %s/token -d grant_type=authorization_code -d client_id=%s -d redirect_uri=%s -d code_verifier=%s -d code=$code | sed 's/.*\"access_token\":\"\\([^\"]*\\)\".*/\\1/')",
				u, demoClientID, demoRedirect, demoVerifier),
			fmt.Sprintf(`curl -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' -d '{"text":"hello over IPC"}' %s/api/notes`, u),
			"go run ./cmd/appwire conform httpipc unix://" + conformSock,
			"go run ./cmd/appwire fuzz httpipc unix://" + conformSock + " --duration 10s",
		},
		shutdown: shutdown,
	}, nil
}

// ipcEndpoint parses an httpipc TARGET as the suite does: unix:///path,
// a socket path, or tcp://host:port.
func ipcEndpoint(raw string) (network, addr string, err error) {
	if strings.HasPrefix(raw, "/") {
		return "unix", raw, nil
	}
	u, err := url.Parse(raw)
	if err == nil {
		switch {
		case u.Scheme == "unix" && u.Host+u.Path != "":
			return "unix", u.Host + u.Path, nil
		case u.Scheme == "tcp" && u.Host != "":
			return "tcp", u.Host, nil
		}
	}
	return "", "", fmt.Errorf("%q: want unix:///path/to.sock, a socket path, or tcp://HOST:PORT (or --command)", raw)
}

// probeHTTPIPC checks that the target completes the httpipc handshake
// and answers one request (any status). A command target is not probed:
// each case starts its own process.
func probeHTTPIPC(ctx context.Context, target conformance.Target) error {
	if strings.TrimSpace(target.Params["command"]) != "" {
		return nil
	}
	network, addr, err := ipcEndpoint(target.URL)
	if err != nil {
		return err
	}
	tr := &httpipc.Transport{DialStream: func(ctx context.Context) (io.ReadWriteCloser, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}}
	defer tr.Close()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+httpipc.DefaultHost+"/", nil)
	if err != nil {
		return err
	}
	resp, err := tr.RoundTrip(req)
	if err != nil {
		return fmt.Errorf("%s %s does not answer over httpipc: %w", network, addr, err)
	}
	resp.Body.Close()
	return nil
}

func httpipcFuzzer() *fuzzer {
	return &fuzzer{
		target: "the server's socket, unix:///path/to.sock or tcp://HOST:PORT (with --command: a label)",
		about: "valid and broken frame sequences (every connection error of the frame layer) and byte-level mutations " +
			"on fresh connections; checks the answers the frame layer mandates and that the server stays up",
		flags: func(fs *flag.FlagSet) func(context.Context, string, fuzz.Options) (fuzz.Report, error) {
			var o fuzz.HTTPIPCOptions
			fs.StringVar(&o.Command, "command", "", "a shell `command` serving httpipc on its stdin/stdout; each input starts its own process")
			return func(ctx context.Context, target string, opts fuzz.Options) (fuzz.Report, error) {
				o.Options = opts
				return fuzz.HTTPIPC(ctx, target, o)
			}
		},
	}
}
