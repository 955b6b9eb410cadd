package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"

	ipcsuite "github.com/appwire/appwire/conformance/httpipc"
	"github.com/appwire/appwire/httpipc"
)

// ipcTool is "appwire ipc serve|bridge|call".
func ipcTool() *toolGroup {
	return &toolGroup{
		name: "ipc",
		about: "HTTP over IPC. bridge and call take --registry FILE --service NAME instead of --socket to\n" +
			"start the server app on demand. --socket defaults to $HTTPIPC_SOCKET.",
		subs: []subcommand{
			{
				name: "serve", args: "(--socket PATH | --stdio) (--upstream URL | --demo | --conformance)",
				about: "Serves HTTP over httpipc on a unix socket (or on stdin/stdout): a proxy to an upstream HTTP server,\n" +
					"the reference OAuth authorization-and-API app (--demo), or the conformance reference handler.",
				flags: ipcServeFlags,
			},
			{
				name: "bridge", args: "--socket PATH",
				about: "The localhost bridge: unchanged HTTP clients reach the socket's server through http://127.0.0.1:PORT/.",
				flags: ipcBridgeFlags,
			},
			{
				name: "call", args: "--socket PATH METHOD URL [BODY]",
				about: "One request over the socket; the body goes to stdout, exit 1 on a status >= 400.",
				flags: ipcCallFlags,
			},
		},
	}
}

func cmdIPC(ctx context.Context, c *cli, args []string) int { return ipcTool().run(ctx, c, args) }

// ipcTarget is how bridge and call reach the server app.
type ipcTarget struct {
	socket, registry, service string
}

func (t *ipcTarget) flags(fs *flag.FlagSet) {
	fs.StringVar(&t.socket, "socket", os.Getenv(httpipc.EnvSocket), "unix socket `PATH` of the server app")
	fs.StringVar(&t.registry, "registry", "", "service registry `FILE` (JSON); with --service, starts the app on demand")
	fs.StringVar(&t.service, "service", "", "ipc-service `NAME` in --registry")
}

// transport returns the httpipc transport to the target and what to close
// when done.
func (t *ipcTarget) transport() (*httpipc.Transport, func(), error) {
	switch {
	case t.registry != "" && t.service != "":
		reg, err := httpipc.LoadRegistry(t.registry)
		if err != nil {
			return nil, nil, err
		}
		tr, err := reg.Transport(t.service)
		if err != nil {
			return nil, nil, err
		}
		return tr, func() { tr.Close(); reg.Close() }, nil
	case t.registry != "" || t.service != "":
		return nil, nil, errors.New("--registry and --service go together")
	case t.socket != "":
		tr := httpipc.UnixTransport(t.socket)
		return tr, func() { tr.Close() }, nil
	}
	return nil, nil, errors.New("no --socket (or --registry and --service)")
}

func ipcServeFlags(fs *flag.FlagSet) func(context.Context, *cli, []string, func(string, ...any) int) int {
	var (
		socket, upstream, issuer string
		demo, reference, stdio   bool
		idle                     time.Duration
		uids                     listFlag
	)
	fs.StringVar(&socket, "socket", os.Getenv(httpipc.EnvSocket), "unix socket `PATH` to listen on")
	fs.StringVar(&upstream, "upstream", "", "proxy every request to this HTTP `URL`")
	fs.BoolVar(&demo, "demo", false, "serve the reference OAuth authorization-and-API app")
	fs.BoolVar(&reference, "conformance", false, "serve the conformance suite's reference handler (what 'conform httpipc' expects)")
	fs.BoolVar(&stdio, "stdio", false, "serve one connection on stdin/stdout instead of a socket, and exit when it ends")
	fs.StringVar(&issuer, "issuer", "http://"+httpipc.DefaultHost, "--demo: the app's issuer `URL` (RFC 8414 metadata)")
	fs.DurationVar(&idle, "idle", 0, "exit after no client has been connected for this long (0: never)")
	fs.Var(&uids, "allow-uid", "uids allowed to connect (comma-separated; default: this user; Linux only)")
	var (
		maxBody int64
		drain   time.Duration
	)
	fs.DurationVar(&drain, "drain", 10*time.Second, "on Ctrl-C or SIGTERM, let requests in flight finish for up to this long (GOAWAY first; 0: close at once)")
	fs.Int64Var(&maxBody, "max-body", httpipc.DefaultMaxRequestBodySize, "largest request content in `BYTES` a handler may read (more: 413 naming the limit; -1: no limit)")
	return func(ctx context.Context, c *cli, pos []string, usage func(string, ...any) int) int {
		handlers := 0
		for _, set := range []bool{upstream != "", demo, reference} {
			if set {
				handlers++
			}
		}
		switch {
		case len(pos) > 0:
			return usage("unexpected argument %q", pos[0])
		case socket == "" && !stdio:
			return usage("no --socket (or --stdio)")
		case handlers != 1:
			return usage("want exactly one of --upstream URL, --demo, --conformance")
		case idle < 0:
			return usage("negative --idle")
		}
		var h http.Handler
		what := "the demo OAuth app"
		if reference {
			h, what = ipcsuite.Handler(), "the conformance reference handler"
		} else if demo {
			app, err := newDemoApp(issuer)
			if err != nil {
				c.errorf("ipc serve: %v", err)
				return exitUsage
			}
			h = app
		} else {
			u, err := url.Parse(upstream)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				c.errorf("ipc serve: bad --upstream %q: want http://host[:port][/path]", upstream)
				return exitUsage
			}
			h = &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(u) }}
			what = "a proxy to " + upstream
		}
		if stdio {
			// stdout is the wire: nothing else may be printed there.
			conn := newStdioConn(c)
			err := (&httpipc.Server{Handler: h, MaxRequestBodySize: maxBody, DrainTimeout: drain}).ServeConn(ctx, conn)
			// ServeConn may return while the connection's last frames (a
			// GOAWAY) are still being written; the process must not exit
			// before the server closes the connection after them.
			select {
			case <-conn.closed:
			case <-time.After(5 * time.Second):
			}
			if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, io.EOF) {
				c.errorf("ipc serve: %v", err)
				return exitProblem
			}
			return exitOK
		}
		check, mode, err := peerPolicy(uids)
		if err != nil {
			c.errorf("ipc serve: --allow-uid: %v", err)
			return exitUsage
		}
		ln, err := httpipc.ListenUnix(ctx, socket)
		if err != nil {
			c.errorf("ipc serve: %v", err)
			return exitProblem
		}
		if err := os.Chmod(socket, mode); err != nil {
			ln.Close()
			c.errorf("ipc serve: %v", err)
			return exitProblem
		}
		if check != nil {
			ln = httpipc.CheckPeers(ln, check, func(err error) { c.errorf("ipc serve: refused a client: %v", err) })
		}
		srv := &httpipc.Server{Handler: h, MaxRequestBodySize: maxBody, DrainTimeout: drain}
		fmt.Fprintf(c.stdout, "serving %s on unix:%s\n", what, socket)
		if idle > 0 {
			srv.Options.IdleTimeout = idle
			err = httpipc.ServeIdle(ctx, srv, ln, idle)
		} else {
			err = srv.Serve(ctx, ln)
		}
		if err != nil && !errors.Is(err, context.Canceled) {
			c.errorf("ipc serve: %v", err)
			return exitProblem
		}
		return exitOK
	}
}

// peerPolicy turns --allow-uid into a PeerCheck and the socket's file
// mode: 0600 when only this user may connect (the file system then
// refuses everyone else too), else 0666 with the kernel-reported uid
// checked on each connection.
func peerPolicy(list []string) (httpipc.PeerCheck, os.FileMode, error) {
	me := uint32(os.Getuid())
	uids := []uint32{me}
	if len(list) > 0 {
		uids = uids[:0]
		for _, s := range list {
			n, err := strconv.ParseUint(s, 10, 32)
			if err != nil {
				return nil, 0, fmt.Errorf("%q is not a uid", s)
			}
			uids = append(uids, uint32(n))
		}
	}
	mode := os.FileMode(0o600)
	for _, u := range uids {
		if u != me {
			mode = 0o666
		}
	}
	if runtime.GOOS != "linux" {
		if mode != 0o600 {
			return nil, 0, errors.New("checking other users needs Linux peer credentials")
		}
		return nil, mode, nil // the file mode alone keeps others out
	}
	return httpipc.RequireUID(uids...), mode, nil
}

func ipcBridgeFlags(fs *flag.FlagSet) func(context.Context, *cli, []string, func(string, ...any) int) int {
	var (
		target ipcTarget
		listen string
		opts   httpipc.BridgeOptions
		hosts  listFlag
	)
	target.flags(fs)
	fs.StringVar(&listen, "listen", "127.0.0.1:0", "loopback `HOST:PORT` to listen on")
	fs.BoolVar(&opts.Forwarded, "forwarded", false, "add Forwarded: proto=http;host=... (RFC 7239)")
	fs.DurationVar(&opts.Timeout, "timeout", 0, "answer 504 when a response takes longer (0: no limit)")
	fs.Var(&hosts, "allow-host", "Host names accepted besides loopback ones (comma-separated; * for any)")
	fs.Int64Var(&opts.MaxRequestBodySize, "max-body", httpipc.DefaultMaxRequestBodySize, "largest request content in `BYTES` the bridge forwards (more: 413 naming the limit; -1: no limit)")
	return func(ctx context.Context, c *cli, pos []string, usage func(string, ...any) int) int {
		if len(pos) > 0 {
			return usage("unexpected argument %q (bridge takes only flags)", pos[0])
		}
		tr, closeTr, err := target.transport()
		if err != nil {
			c.errorf("ipc bridge: %v", err)
			return exitUsage
		}
		defer closeTr()
		if len(hosts) > 0 {
			opts.AllowedHosts = append([]string{"localhost", "127.0.0.1", "::1", httpipc.DefaultHost}, hosts...)
		}
		b := httpipc.NewBridge(tr, opts)
		ln, err := b.Listen(ctx, listen)
		if err != nil {
			c.errorf("ipc bridge: %v", err)
			return exitProblem
		}
		fmt.Fprintf(c.stdout, "bridge http://%s -> %s\n", ln.Addr(), target.describe())
		if err := b.Serve(ctx, ln); err != nil && !errors.Is(err, context.Canceled) {
			c.errorf("ipc bridge: %v", err)
			return exitProblem
		}
		return exitOK
	}
}

func (t *ipcTarget) describe() string {
	if t.service != "" {
		return "service " + t.service
	}
	return "unix:" + t.socket
}

// stdioConn is the command's stdin and stdout as one connection. Close
// ends a Read in progress, as closing a socket does: stdin is read by a
// goroutine of its own, since a read of a pipe cannot be interrupted.
type stdioConn struct {
	c      *cli
	once   sync.Once
	closed chan struct{} // closed by Close
	reads  chan []byte   // chunks read from stdin; closed at its end
	rerr   error         // why stdin ended, set before reads is closed
	buf    []byte        // the rest of the last chunk
}

func newStdioConn(c *cli) *stdioConn {
	s := &stdioConn{c: c, closed: make(chan struct{}), reads: make(chan []byte)}
	go func() {
		defer close(s.reads)
		for {
			b := make([]byte, 32<<10)
			n, err := c.stdin.Read(b)
			if n > 0 {
				select {
				case s.reads <- b[:n]:
				case <-s.closed:
					return
				}
			}
			if err != nil {
				s.rerr = err
				return
			}
		}
	}()
	return s
}

func (s *stdioConn) Read(p []byte) (int, error) {
	if len(s.buf) == 0 {
		select {
		case b, ok := <-s.reads:
			if !ok {
				return 0, s.rerr
			}
			s.buf = b
		case <-s.closed:
			return 0, io.EOF
		}
	}
	n := copy(p, s.buf)
	s.buf = s.buf[n:]
	return n, nil
}

func (s *stdioConn) Write(p []byte) (int, error) { return s.c.stdout.Write(p) }

func (s *stdioConn) Close() error {
	var err error
	s.once.Do(func() {
		if c, ok := s.c.stdout.(io.Closer); ok {
			err = c.Close()
		}
		close(s.closed)
	})
	return err
}
