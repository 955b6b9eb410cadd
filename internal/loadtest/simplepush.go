package loadtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/appwire/appwire/internal/wsconn"
	"github.com/appwire/appwire/simplepush"
)

// Config is one SimplePush load run. Zero fields take the defaults
// below.
type Config struct {
	Conns      int           // idle WebSockets to open; default 15000
	Deliveries int           // PUT -> notification -> ack round trips; default 20000
	Duration   time.Duration // cap of each measured phase (baseline, deliveries); default 60 s
	Workers    int           // app-server workers doing PUTs, one delivery at a time each; default 8
	// Rounds splits both phases in this many alternating rounds (no-op,
	// deliveries, no-op, ...); default 4.
	Rounds  int
	Dialers int // connections being opened at once; default 64
	// Steps are connection counts below Conns at which the server's
	// memory is measured too, to show the per-connection figure is
	// stable; nil means Conns/10 and Conns/2.
	Steps []int
	// PerSource is the number of connections per source address
	// (127.0.0.1, then 127.1.0.1, 127.1.0.2, ...); default 10000 or half
	// the ephemeral port range, whichever is smaller.
	PerSource int
	// Timeout bounds the whole run; default 10 minutes.
	Timeout time.Duration

	// ServerURL, when set, is a running server's WebSocket URL: no child
	// is started, server memory is measured only if ServerPID is set
	// (VmRSS alone), and the no-op baseline runs in this process.
	ServerURL string
	ServerPID int
	// ServerCommand starts the server child (see ServeChild), e.g.
	// {"/path/to/appwire", "load", "simplepush-server"}; ServerEnv is
	// added to its environment.
	ServerCommand []string
	ServerEnv     []string
	// Redis, when set, is the URL of a Redis the server child keeps its
	// state in (simplepush/redisstore) instead of in memory: the
	// per-connection memory then excludes the store's records, which are
	// in Redis.
	Redis string
	// HeapProfile, when set, receives the server's heap profile taken
	// with every connection open.
	HeapProfile string

	// Progress, when set, receives one line per phase and progress step.
	Progress io.Writer
}

func (c *Config) defaults() {
	def := func(p *int, v int) {
		if *p <= 0 {
			*p = v
		}
	}
	def(&c.Conns, 15000)
	def(&c.Deliveries, 20000)
	def(&c.Workers, 8)
	def(&c.Dialers, 64)
	def(&c.Rounds, 4)
	c.Rounds = min(c.Rounds, c.Deliveries)
	if c.Duration <= 0 {
		c.Duration = 60 * time.Second
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Minute
	}
	if c.PerSource <= 0 {
		c.PerSource = 10000
		if n := ephemeralPorts(); n > 0 && n/2 < c.PerSource {
			c.PerSource = n / 2
		}
	}
	if c.Steps == nil && c.Conns >= 100 {
		c.Steps = []int{c.Conns / 10, c.Conns / 2}
	}
	steps := []int{}
	for _, s := range c.Steps {
		if s > 0 && s < c.Conns && !slices.Contains(steps, s) {
			steps = append(steps, s)
		}
	}
	slices.Sort(steps)
	c.Steps = append(steps, c.Conns)
}

// MemStep is the server's memory with Conns idle connections open,
// after a garbage collection; the per-connection figures subtract the
// baseline taken before any connection was opened.
type MemStep struct {
	Conns          int     `json:"conns"`
	RSS            int64   `json:"rss_bytes"`
	GoMem          int64   `json:"go_mem_bytes"` // HeapInuse + StackInuse
	RSSPerConn     float64 `json:"rss_per_conn_bytes"`
	GoMemPerConn   float64 `json:"go_mem_per_conn_bytes"`
	Goroutines     int     `json:"goroutines"`
	Reading        int     `json:"reading"` // connections with a goroutine reading (0 when idle)
	ServerConns    int     `json:"server_conns"`
	ServerHelloed  int     `json:"server_helloed"`
	HasGoMem       bool    `json:"has_go_mem"`
	HasRSS         bool    `json:"has_rss"`
	HeapInuse      uint64  `json:"heap_inuse_bytes"`
	StackInuse     uint64  `json:"stack_inuse_bytes"`
	ConnectSeconds float64 `json:"connect_seconds"` // since the first connection was opened
}

// Phase is one measured phase of PUTs.
type Phase struct {
	Count   int     `json:"count"`
	Errors  int     `json:"errors"`
	Seconds float64 `json:"seconds"`
	PerSec  float64 `json:"per_sec"`
	Latency Summary `json:"latency"`
	// FirstError is the first failure, if any.
	FirstError string `json:"first_error,omitempty"`
}

// Report is the outcome of a run.
type Report struct {
	Conns     int      `json:"conns"`
	Workers   int      `json:"workers"`
	Sources   []string `json:"source_addresses"`
	ServerURL string   `json:"server_url"`
	ServerPID int      `json:"server_pid"`
	Child     bool     `json:"server_is_child"` // started by the load tool as a separate process
	// ExtraMessages counts what the user agents read during deliveries
	// besides the notification each awaited: re-sent or stale
	// notifications (none expected: the server sends each version once).
	ExtraMessages int    `json:"extra_messages"`
	Store         string `json:"store"` // the child's store: "memory" or "redis"; "" for an external server
	CPUs          int    `json:"cpus"`
	GoVersion     string `json:"go_version"`
	NofileLoad    uint64 `json:"nofile_load"`
	NofileSrv     uint64 `json:"nofile_server"`

	Baseline           MemStep   `json:"baseline"`
	Steps              []MemStep `json:"steps"`
	BaselineGoroutines int       `json:"baseline_goroutines"`
	ConnectPerSec      float64   `json:"connects_per_sec"`

	// Deliveries: PUT to a connected client's endpoint -> notification
	// read by the client (latency measured to here) -> ack sent.
	Deliveries Phase `json:"deliveries"`
	// NoopPUT: the same workers PUTting the same body to a net/http
	// handler that only reads it, in the server process.
	NoopPUT Phase   `json:"noop_put"`
	Ratio   float64 `json:"ratio"` // deliveries/s over no-op PUTs/s
	// NoopInProcess is true when the no-op handler ran in the load
	// tool's own process (ServerURL mode).
	NoopInProcess bool `json:"noop_in_process"`

	ServerDelivered  uint64 `json:"server_delivered"`
	ServerGoroutines int    `json:"server_goroutines_after"`
	ChildExited      bool   `json:"child_exited"`
}

// client is one user agent of the load.
type client struct {
	ws       *wsconn.Conn
	chid     string
	endpoint string
	version  uint64
	deadline time.Time // of the socket, both directions (see deliver)
	extra    int       // messages read that were not the awaited notification
	buf      []byte    // read and ack buffer, reused
}

// Socket deadlines of the user agents while delivering: each read and
// write may wait up to deliverTimeout; the deadline is moved forward only
// when less than half of it is left.
const deliverTimeout = 10 * time.Second

// RunSimplePush runs the load and returns its report. Every phase is
// bounded; the server child is stopped on every return path.
func RunSimplePush(ctx context.Context, cfg Config) (rep *Report, err error) {
	cfg.defaults()
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	rep = &Report{Conns: cfg.Conns, Workers: cfg.Workers, CPUs: runtime.NumCPU(), GoVersion: runtime.Version()}
	if rep.NofileLoad, err = RaiseNofile(); err != nil {
		return nil, fmt.Errorf("loadtest: raise open-file limit: %w", err)
	}
	if need := uint64(cfg.Conns + 2*cfg.Workers + 64); rep.NofileLoad > 0 && need > rep.NofileLoad {
		return nil, fmt.Errorf("loadtest: %d connections need about %d open files, the limit is %d: lower --conns", cfg.Conns, need, rep.NofileLoad)
	}
	progress := func(format string, args ...any) {
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, format+"\n", args...)
		}
	}

	var srv *child
	ctl := ""
	if cfg.ServerURL == "" {
		if len(cfg.ServerCommand) == 0 {
			return nil, errors.New("loadtest: no ServerURL and no ServerCommand")
		}
		env := cfg.ServerEnv
		rep.Store = "memory"
		if cfg.Redis != "" {
			env = append(env[:len(env):len(env)], RedisEnv+"="+cfg.Redis)
			rep.Store = "redis"
		}
		srv, err = startChild(ctx, cfg.ServerCommand, env)
		if err != nil {
			return nil, err
		}
		defer func() {
			rep.ChildExited = srv.stop()
			if !rep.ChildExited && err == nil {
				err = fmt.Errorf("loadtest: server child %d did not exit", srv.hello.PID)
			}
		}()
		rep.ServerURL, rep.ServerPID, rep.Child, rep.NofileSrv = srv.hello.WS, srv.hello.PID, true, srv.hello.Nofile
		ctl = srv.hello.Control
		progress("server: pid %d, %s (separate process, open-file limit %d)", srv.hello.PID, srv.hello.WS, srv.hello.Nofile)
	} else {
		rep.ServerURL, rep.ServerPID = cfg.ServerURL, cfg.ServerPID
	}
	u, err := url.Parse(rep.ServerURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("loadtest: bad server URL %q", rep.ServerURL)
	}
	if host, _, _ := net.SplitHostPort(u.Host); !isLoopback(host) {
		return nil, fmt.Errorf("loadtest: %s is not a loopback address: this tool loads loopback only", u.Host)
	}

	hc := &http.Client{Timeout: 10 * time.Second}
	measure := func(conns int) (MemStep, error) {
		m := MemStep{Conns: conns}
		if ctl != "" {
			st, err := fetchStats(ctx, hc, ctl, true)
			if err != nil {
				return m, err
			}
			m.RSS, m.GoMem, m.HasRSS, m.HasGoMem = st.RSS, st.GoMem(), true, true
			m.HeapInuse, m.StackInuse = st.HeapInuse, st.StackInuse
			m.Goroutines, m.Reading, m.ServerConns, m.ServerHelloed = st.Goroutines, st.Reading, st.Conns, st.Helloed
		} else if cfg.ServerPID > 0 {
			rss, err := VmRSS(cfg.ServerPID)
			if err != nil {
				return m, err
			}
			m.RSS, m.HasRSS = rss, true
		}
		return m, nil
	}
	if rep.Baseline, err = measure(0); err != nil {
		return rep, err
	}
	rep.BaselineGoroutines = rep.Baseline.Goroutines

	// Source addresses: enough for PerSource connections each.
	nsrc := (cfg.Conns + cfg.PerSource - 1) / cfg.PerSource
	sources := make([]net.IP, nsrc)
	for i := range sources {
		if i == 0 {
			sources[i] = net.IPv4(127, 0, 0, 1)
		} else {
			sources[i] = net.IPv4(127, 1, byte(i>>8), byte(i))
		}
		rep.Sources = append(rep.Sources, sources[i].String())
	}

	clients := make([]*client, 0, cfg.Conns)
	defer func() {
		for _, c := range clients {
			_ = c.ws.CloseNow()
		}
	}()
	progress("opening %d connections from %d source address(es), %d at a time", cfg.Conns, nsrc, cfg.Dialers)
	start := time.Now()
	for _, step := range cfg.Steps {
		more, err := openClients(ctx, rep.ServerURL, sources, cfg.PerSource, len(clients), step, cfg.Dialers)
		clients = append(clients, more...)
		if err != nil {
			return rep, fmt.Errorf("loadtest: after %d connections: %w", len(clients), err)
		}
		if ctl != "" {
			if err := waitIdle(ctx, hc, ctl, step); err != nil {
				return rep, err
			}
		}
		m, err := measure(step)
		if err != nil {
			return rep, err
		}
		m.ConnectSeconds = time.Since(start).Seconds()
		if step > 0 {
			m.RSSPerConn = float64(m.RSS-rep.Baseline.RSS) / float64(step)
			m.GoMemPerConn = float64(m.GoMem-rep.Baseline.GoMem) / float64(step)
		}
		rep.Steps = append(rep.Steps, m)
		progress("  %6d open: server RSS %.0f B/conn, Go heap+stack %.0f B/conn, %d goroutines", step, m.RSSPerConn, m.GoMemPerConn, m.Goroutines)
	}
	rep.ConnectPerSec = float64(len(clients)) / time.Since(start).Seconds()
	if cfg.HeapProfile != "" && ctl != "" {
		if err := saveHeap(ctx, hc, ctl, cfg.HeapProfile); err != nil {
			return rep, err
		}
	}

	// Baseline: the same workers PUT the same body to a handler that
	// does nothing.
	noopURL := ctl + "/noop/x"
	if ctl == "" {
		stop, u, err := inProcessNoop()
		if err != nil {
			return rep, err
		}
		defer stop()
		noopURL, rep.NoopInProcess = u, true
	}
	// The two phases alternate in rounds, so that a drift of the
	// machine's load (other processes, CPU frequency) affects both.
	noop := func(ctx context.Context, hc *http.Client, w, i int) error {
		return put(ctx, hc, noopURL, "version=1")
	}
	var turn []int // per worker: the next client index, across rounds
	delivery := func(ctx context.Context, hc *http.Client, w, i int) error {
		// Worker w uses clients w, w+W, w+2W, ... in turn.
		per := (len(clients) - w + cfg.Workers - 1) / cfg.Workers
		if per <= 0 {
			return errors.New("no client for this worker")
		}
		k := turn[w]
		turn[w]++
		return deliver(ctx, hc, clients[w+(k%per)*cfg.Workers])
	}
	turn = make([]int, cfg.Workers)
	var noopAcc, delAcc phaseAcc
	for r := range cfg.Rounds {
		n := cfg.Deliveries / cfg.Rounds
		if r < cfg.Deliveries%cfg.Rounds {
			n++
		}
		d := cfg.Duration / time.Duration(cfg.Rounds)
		progress("round %d/%d: %d no-op PUTs, then %d PUT -> notification -> ack deliveries, %d workers", r+1, cfg.Rounds, n, n, cfg.Workers)
		noopAcc.add(runPhase(ctx, cfg.Workers, n, d, noop))
		delAcc.add(runPhase(ctx, cfg.Workers, n, d, delivery))
		if ctx.Err() != nil {
			return rep, ctx.Err()
		}
	}
	rep.NoopPUT, rep.Deliveries = noopAcc.phase(), delAcc.phase()
	for _, c := range clients {
		rep.ExtraMessages += c.extra
	}
	if rep.NoopPUT.PerSec > 0 {
		rep.Ratio = rep.Deliveries.PerSec / rep.NoopPUT.PerSec
	}
	if ctl != "" {
		st, err := fetchStats(ctx, hc, ctl, false)
		if err != nil {
			return rep, err
		}
		rep.ServerDelivered, rep.ServerGoroutines = st.Delivered, st.Goroutines
	}
	return rep, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// openClients opens clients from..to-1 (hello, register one channel),
// dialers at a time; client i binds source address i/perSource.
func openClients(ctx context.Context, wsURL string, sources []net.IP, perSource, from, to, dialers int) ([]*client, error) {
	out := make([]*client, to-from)
	var (
		next    atomic.Int64
		wg      sync.WaitGroup
		errOnce sync.Once
		first   error
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next.Store(int64(from))
	for range dialers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= to || ctx.Err() != nil {
					return
				}
				c, err := openClient(ctx, wsURL, sources[i/perSource])
				if err != nil {
					errOnce.Do(func() { first = fmt.Errorf("connection %d: %w", i, err); cancel() })
					return
				}
				out[i-from] = c
			}
		})
	}
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		first = ctx.Err()
	}
	if first != nil {
		done := out[:0]
		for _, c := range out {
			if c != nil {
				done = append(done, c)
			}
		}
		return done, first
	}
	return out, nil
}

func openClient(ctx context.Context, wsURL string, src net.IP) (*client, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: src}, Control: dialControl}
	ws, err := wsconn.Dial(ctx, wsURL, wsconn.DialOptions{NetDial: d.DialContext})
	if err != nil {
		return nil, err
	}
	c := &client{ws: ws, chid: simplepush.NewChannelID()}
	fail := func(err error) (*client, error) { _ = ws.CloseNow(); return nil, err }
	if err := ws.WriteText(ctx, []byte(`{"messageType":"hello","uaid":"","channelIDs":[]}`)); err != nil {
		return fail(err)
	}
	if _, err := expect(ctx, ws, simplepush.TypeHello); err != nil {
		return fail(err)
	}
	if err := ws.WriteText(ctx, []byte(`{"messageType":"register","channelID":"`+c.chid+`"}`)); err != nil {
		return fail(err)
	}
	m, err := expect(ctx, ws, simplepush.TypeRegister)
	if err != nil {
		return fail(err)
	}
	if m.PushEndpoint == "" {
		return fail(errors.New("register reply without pushEndpoint"))
	}
	c.endpoint = m.PushEndpoint
	return c, nil
}

// expect reads the reply of type t with status 200, skipping
// notifications.
func expect(ctx context.Context, ws *wsconn.Conn, t simplepush.MessageType) (*simplepush.ServerMessage, error) {
	for {
		_, b, err := ws.ReadMessage(ctx, nil)
		if err != nil {
			return nil, err
		}
		m, err := simplepush.ParseServerMessage(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", b, err)
		}
		if m.Type == simplepush.TypeNotification {
			continue
		}
		if m.Type != t || m.Status != 200 {
			return nil, fmt.Errorf("want a %v reply with status 200, got %s", t, b)
		}
		return m, nil
	}
}

// waitIdle waits until the server holds want helloed connections and
// none is being read.
func waitIdle(ctx context.Context, hc *http.Client, ctl string, want int) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		st, err := fetchStats(ctx, hc, ctl, false)
		if err != nil {
			return err
		}
		if st.Conns == want && st.Helloed == want && st.Reading == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("loadtest: server never settled at %d idle connections (conns %d, helloed %d, reading %d)", want, st.Conns, st.Helloed, st.Reading)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func fetchStats(ctx context.Context, hc *http.Client, ctl string, gc bool) (ServerStats, error) {
	var st ServerStats
	u := ctl + "/stats"
	if gc {
		u += "?gc=1"
	}
	req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
	resp, err := hc.Do(req)
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return st, fmt.Errorf("loadtest: %s: %s", u, resp.Status)
	}
	err = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&st)
	return st, err
}

func saveHeap(ctx context.Context, hc *http.Client, ctl, file string) error {
	req, _ := http.NewRequestWithContext(ctx, "GET", ctl+"/heap", nil)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	return os.WriteFile(file, b, 0o644)
}

// phaseAcc adds up the rounds of one phase.
type phaseAcc struct {
	lat     Latencies
	errors  int
	seconds float64
	first   string
}

func (a *phaseAcc) add(r round) {
	a.lat.Merge(&r.lat)
	a.errors += r.errors
	a.seconds += r.seconds
	if a.first == "" {
		a.first = r.first
	}
}

func (a *phaseAcc) phase() Phase {
	p := Phase{Count: a.lat.Len(), Errors: a.errors, Seconds: a.seconds, FirstError: a.first}
	if a.seconds > 0 {
		p.PerSec = float64(p.Count) / a.seconds
	}
	p.Latency = a.lat.Summary()
	return p
}

// round is one run of a phase.
type round struct {
	lat     Latencies
	errors  int
	seconds float64
	first   string
}

// runPhase runs n operations over workers workers, each with its own
// keep-alive HTTP connection, stopping early after d; op(ctx, hc, w, i)
// is worker w's i-th operation.
func runPhase(ctx context.Context, workers, n int, d time.Duration, op func(ctx context.Context, hc *http.Client, w, i int) error) round {
	tr := &http.Transport{
		MaxIdleConnsPerHost: workers, MaxConnsPerHost: workers,
		DisableCompression: true, IdleConnTimeout: 30 * time.Second,
	}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var (
		claimed atomic.Int64
		wg      sync.WaitGroup
		mu      sync.Mutex
		ph      round
	)
	start := time.Now()
	for w := range workers {
		wg.Go(func() {
			var lat Latencies
			errs, firstErr := 0, ""
			for i := 0; ; i++ {
				if claimed.Add(1) > int64(n) || ctx.Err() != nil {
					break
				}
				t0 := time.Now()
				if err := op(ctx, hc, w, i); err != nil {
					if ctx.Err() != nil {
						break // the phase ran out of time mid-operation
					}
					errs++
					if firstErr == "" {
						firstErr = err.Error()
					}
					continue
				}
				lat.Add(time.Since(t0))
			}
			mu.Lock()
			ph.lat.Merge(&lat)
			ph.errors += errs
			if ph.first == "" {
				ph.first = firstErr
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	ph.seconds = time.Since(start).Seconds()
	return ph
}

const formType = "application/x-www-form-urlencoded"

// put sends one PUT and wants 200.
func put(ctx context.Context, hc *http.Client, u, body string) error {
	req, err := http.NewRequestWithContext(ctx, "PUT", u, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", formType)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("PUT: %s", resp.Status)
	}
	return nil
}

// deliver PUTs the client's next version, reads the notification on its
// socket and acks it.
func deliver(ctx context.Context, hc *http.Client, c *client) error {
	c.version++
	v := strconv.FormatUint(c.version, 10)
	if err := put(ctx, hc, c.endpoint, "version="+v); err != nil {
		return err
	}
	// The user agent's side is the load tool's cost, not the server's,
	// and shares the machine with it: rather than a context deadline per
	// read and write (two runtime timer changes and a context.AfterFunc
	// each), the socket keeps one deadline, moved forward at most every
	// deliverTimeout/2. A cancelled run ends at the next delivery.
	if err := ctx.Err(); err != nil {
		return err
	}
	if now := time.Now(); c.deadline.Sub(now) < deliverTimeout/2 {
		c.deadline = now.Add(deliverTimeout)
		if err := c.ws.NetConn().SetDeadline(c.deadline); err != nil {
			return err
		}
	}
	bg := context.Background()
	// The reference server writes exactly this; anything else is parsed.
	want := []byte(`{"channelID":"` + c.chid + `","version":` + v + `,`)
	for {
		_, b, err := c.ws.ReadMessage(bg, c.buf[:0])
		if err != nil {
			return fmt.Errorf("waiting for version %s: %w", v, err)
		}
		c.buf = b
		if bytes.Contains(b, want) || hasUpdate(b, c.chid, c.version) {
			break
		}
		c.extra++
	}
	ack := simplepush.ClientMessage{Type: simplepush.TypeAck, Updates: []simplepush.Update{{ChannelID: c.chid, Version: c.version}}}
	c.buf = ack.Append(c.buf[:0])
	return c.ws.WriteText(bg, c.buf)
}

func hasUpdate(b []byte, chid string, v uint64) bool {
	m, err := simplepush.ParseServerMessage(b)
	if err != nil || m.Type != simplepush.TypeNotification {
		return false
	}
	for _, u := range m.Updates {
		if u.ChannelID == chid && u.Version == v {
			return true
		}
	}
	return false
}

// inProcessNoop serves the no-op PUT handler from this process, for runs
// against a server the load tool did not start.
func inProcessNoop() (stop func(), url string, err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, "{}")
	}), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	return func() { _ = hs.Close() }, "http://" + ln.Addr().String() + "/noop/x", nil
}

// child is the server process.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	hello ServerHello
	done  chan struct{}
}

// startChild starts argv and waits (up to 30 s) for its ServerHello line.
func startChild(ctx context.Context, argv, env []string) (*child, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = childAttr()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("loadtest: start server: %w", err)
	}
	c := &child{cmd: cmd, stdin: stdin, done: make(chan struct{})}
	line := make(chan []byte, 1)
	go func() {
		br := bufio.NewReader(stdout)
		b, _ := br.ReadBytes('\n')
		line <- b
		_, _ = io.Copy(io.Discard, br)
	}()
	go func() { _ = cmd.Wait(); close(c.done) }()
	t := time.NewTimer(30 * time.Second)
	defer t.Stop()
	select {
	case b := <-line:
		if err := json.Unmarshal(b, &c.hello); err != nil || c.hello.WS == "" {
			c.stop()
			return nil, fmt.Errorf("loadtest: server child said %q", b)
		}
		return c, nil
	case <-ctx.Done():
		c.stop()
		return nil, ctx.Err()
	case <-t.C:
		c.stop()
		return nil, errors.New("loadtest: server child not ready after 30 s")
	}
}

// stop closes the child's stdin (its signal to shut down), waits up to
// 10 s, then kills it; it reports whether the process is gone.
func (c *child) stop() bool {
	_ = c.stdin.Close()
	select {
	case <-c.done:
		return true
	case <-time.After(10 * time.Second):
	}
	_ = c.cmd.Process.Kill()
	select {
	case <-c.done:
		return true
	case <-time.After(5 * time.Second):
		return false
	}
}
