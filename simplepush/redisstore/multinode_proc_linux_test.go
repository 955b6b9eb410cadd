package redisstore_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"github.com/appwire/appwire/simplepush"
	"github.com/appwire/appwire/simplepush/redisstore"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/appwire/appwire/internal/redistest"
	"github.com/appwire/appwire/internal/wsconn"
)

// The multi-node tests run every server node as a process of its own:
// the test binary started again with SIMPLEPUSH_TEST_NODE set runs only
// TestRedisNodeProcess, which serves a Server with the Redis store and
// bus until it is killed. A node can then die the hard way (SIGKILL),
// with its sockets, its Redis connections and a stale route left behind.

const (
	envNode     = "SIMPLEPUSH_TEST_NODE" // the node name; set only in node processes
	envRedis    = "SIMPLEPUSH_TEST_REDIS"
	envPrefix   = "SIMPLEPUSH_TEST_PREFIX"
	envTokenKey = "SIMPLEPUSH_TEST_TOKEN_KEY"
	readyLine   = "SIMPLEPUSH-NODE-LISTENING "
	nodeStart   = 15 * time.Second // bound on a node's start
)

// TestRedisNodeProcess is the body of a node process, not a test.
func TestRedisNodeProcess(t *testing.T) {
	name := os.Getenv(envNode)
	if name == "" {
		t.Skip("the body of a node process of the multi-node tests")
	}
	if err := runNode(name, os.Getenv(envRedis), os.Getenv(envPrefix), os.Getenv(envTokenKey)); err != nil {
		fmt.Fprintln(os.Stderr, "node:", err)
		os.Exit(1)
	}
	os.Exit(0) // skip the testing framework's summary
}

func runNode(name, redisAddr, prefix, tokenKey string) error {
	key, err := hex.DecodeString(tokenKey)
	if err != nil {
		return err
	}
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr})
	defer rdb.Close()
	store, err := redisstore.NewStore(rdb, redisstore.Options{Prefix: prefix})
	if err != nil {
		return err
	}
	logf := func(format string, args ...any) { fmt.Fprintf(os.Stderr, name+": "+format+"\n", args...) }
	bus, err := redisstore.NewBus(rdb, redisstore.BusOptions{Prefix: prefix, Logf: logf})
	if err != nil {
		return err
	}
	defer bus.Close()
	s, err := simplepush.NewServer(simplepush.Options{Store: store, Bus: bus, Node: name, TokenKey: key, Logf: logf})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	fmt.Println(readyLine + ln.Addr().String())
	return s.Serve(ctx, ln)
}

// redisCluster is one Redis and the node processes sharing it.
type redisCluster struct {
	t        *testing.T
	redis    *redistest.Server
	prefix   string
	tokenKey string
	store    *redisstore.Store // the test's own view of the shared state
}

func newCluster(t *testing.T) *redisCluster {
	if testing.Short() {
		t.Skip("starts processes")
	}
	srv := redistest.Start(t, redistest.Options{})
	prefix := "mn:"
	store, err := redisstore.NewStore(srv.Client(t), redisstore.Options{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	return &redisCluster{t: t, redis: srv, prefix: prefix, tokenKey: hex.EncodeToString(simplepush.NewTokenKey()), store: store}
}

// nodeProc is one running node process.
type nodeProc struct {
	name string
	addr string // 127.0.0.1:PORT
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited

	mu     sync.Mutex
	stderr bytes.Buffer
}

func (n *nodeProc) ws() string { return "ws://" + n.addr + "/" }

// Write collects the node's stderr.
func (n *nodeProc) Write(p []byte) (int, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.stderr.Write(p)
}

// start runs a node process named name and waits until it listens.
func (c *redisCluster) start(name string) *nodeProc {
	t := c.t
	t.Helper()
	n := &nodeProc{name: name, done: make(chan struct{})}
	n.cmd = exec.Command(os.Args[0], "-test.run=^TestRedisNodeProcess$", "-test.count=1")
	n.cmd.Env = append(os.Environ(), envNode+"="+name, envRedis+"="+c.redis.Addr(),
		envPrefix+"="+c.prefix, envTokenKey+"="+c.tokenKey)
	n.cmd.Stderr = n
	n.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := n.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), readyLine); ok {
				ready <- a
			}
		}
		_ = n.cmd.Wait()
		close(n.done)
	}()
	t.Cleanup(func() {
		n.kill()
		if t.Failed() {
			n.mu.Lock()
			t.Logf("node %s stderr:\n%s", name, n.stderr.String())
			n.mu.Unlock()
		}
	})
	select {
	case n.addr = <-ready:
	case <-n.done:
		t.Fatalf("node %s exited before listening: %s", name, n.stderr.String())
	case <-time.After(nodeStart):
		t.Fatalf("node %s did not start within %v", name, nodeStart)
	}
	return n
}

// kill ends the process with SIGKILL, like a crash, and waits for it.
func (n *nodeProc) kill() {
	_ = n.cmd.Process.Signal(syscall.SIGKILL)
	<-n.done
}

// dialNode opens a user-agent socket to n.
func dialNode(t *testing.T, n *nodeProc) *client {
	t.Helper()
	c, err := wsconn.Dial(ctx5(t), n.ws(), wsconn.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return &client{t: t, c: c}
}

// endpointVia rewrites a push endpoint to reach node n instead of the node that
// handed it out: any node accepts any endpoint.
func endpointVia(t *testing.T, endpoint string, n *nodeProc) string {
	t.Helper()
	u, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = n.addr
	return u.String()
}

// awaitState polls cond until it holds; the multi-node tests wait so only
// for another process's state to reach Redis, never for a protocol timer.
func awaitState(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
