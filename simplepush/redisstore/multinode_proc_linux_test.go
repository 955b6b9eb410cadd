package redisstore_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"

	"github.com/appwire/appwire/simplepush"
	"github.com/appwire/appwire/simplepush/redisstore"

	"github.com/redis/go-redis/v9"

	"github.com/appwire/appwire/internal/redistest"
	"github.com/appwire/appwire/internal/testproc"
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
	testproc.Announce(ln.Addr().String())
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
type nodeProc struct{ *testproc.Node }

func (n *nodeProc) ws() string { return "ws://" + n.Addr + "/" }

// start runs a node process named name and waits until it listens.
func (c *redisCluster) start(name string) *nodeProc {
	c.t.Helper()
	return &nodeProc{testproc.Start(c.t, name, testproc.Options{Test: "TestRedisNodeProcess", Timeout: nodeStart,
		Env: []string{envNode + "=" + name, envRedis + "=" + c.redis.Addr(), envPrefix + "=" + c.prefix, envTokenKey + "=" + c.tokenKey}})}
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
	u.Host = n.Addr
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
