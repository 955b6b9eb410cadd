// Package redistest starts a real redis-server (the Debian package) for a
// test: its own process on a free 127.0.0.1 port with a temporary
// directory, killed when the test ends.
//
//	srv := redistest.Start(t, redistest.Options{})
//	rdb := srv.Client(t) // a *redis.Client closed at cleanup
//
// When redis-server is not installed the test is skipped with a message
// saying how to install it, unless the environment variable CI is set: CI
// must have Redis, so there the test fails instead.
package redistest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/appwire/appwire/internal/testproc"
	"github.com/redis/go-redis/v9"
)

// Binary is the executable Start looks up in PATH.
const Binary = "redis-server"

// startTimeout bounds the wait for a fresh server to answer PING.
const startTimeout = 10 * time.Second

// Options configures Start. The zero value is a throw-away server with no
// persistence.
type Options struct {
	// Persist turns on the append-only file with an fsync per write, so
	// the data survives Restart and even Kill.
	Persist bool
}

// Server is one running redis-server.
type Server struct {
	t    testing.TB
	opts Options
	dir  string
	port int

	mu   sync.Mutex
	proc *proc // nil when not running
}

// proc is one redis-server process; done closes when it has exited.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// Available reports whether redis-server is installed.
func Available() bool {
	_, err := exec.LookPath(Binary)
	return err == nil
}

// Require skips t when redis-server is missing (fails under CI).
func Require(t testing.TB) {
	t.Helper()
	if Available() {
		return
	}
	msg := "redistest: " + Binary + " not installed (apt-get install redis-server); .ci/run installs it"
	if os.Getenv("CI") != "" {
		t.Fatal(msg + "; CI is set, so this is a failure")
	}
	t.Skip(msg)
}

// Start starts a redis-server for t on a free loopback port and stops it
// when t ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	Require(t)
	s := &Server{t: t, opts: opts, dir: t.TempDir()}
	var err error
	for range 5 { // the free port can be taken between probe and bind
		if s.port, err = freePort(); err != nil {
			break
		}
		if err = s.launch(); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("redistest: start: %v", err)
	}
	t.Cleanup(s.Kill)
	return s
}

// Addr is "127.0.0.1:PORT".
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// URL is "redis://127.0.0.1:PORT/0", for redis.ParseURL and --redis flags.
func (s *Server) URL() string { return "redis://" + s.Addr() + "/0" }

// Client returns a client of the server, closed when the test ends.
func (s *Server) Client(t testing.TB) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: s.Addr()})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Kill stops the server with SIGKILL and waits for it; it does nothing
// when the server is not running.
func (s *Server) Kill() {
	s.mu.Lock()
	p := s.proc
	s.proc = nil
	s.mu.Unlock()
	if p == nil {
		return
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}

// Restart kills the server and starts it again on the same port and
// directory (with Persist, the data is still there).
func (s *Server) Restart() {
	s.t.Helper()
	s.Kill()
	var err error
	for range 50 { // the old socket can linger for a moment
		if err = s.launch(); err == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Fatalf("redistest: restart on port %d: %v", s.port, err)
}

func (s *Server) args() []string {
	a := []string{
		"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1", "--dir", s.dir,
		"--save", "", "--daemonize", "no", "--loglevel", "warning",
		"--logfile", filepath.Join(s.dir, "redis.log"),
	}
	if s.opts.Persist {
		return append(a, "--appendonly", "yes", "--appendfsync", "always")
	}
	return append(a, "--appendonly", "no")
}

// launch starts the process and waits for PING; on failure the process is
// gone and the error carries the end of its log.
func (s *Server) launch() error {
	cmd := exec.Command(Binary, s.args()...)
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	testproc.SetPdeathsig(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: %w", Binary, err)
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	var werr error
	go func() { werr = cmd.Wait(); close(p.done) }()
	if err := waitPing(s.Addr(), p.done); err != nil {
		_ = cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("%w (%v); log: %s", err, werr, s.logTail())
	}
	s.mu.Lock()
	s.proc = p
	s.mu.Unlock()
	return nil
}

func (s *Server) logTail() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(0, len(lines)-5):], " | ")
}

// waitPing polls addr with a raw PING until it answers +PONG, the process
// exits or startTimeout passes.
func waitPing(addr string, exited <-chan struct{}) error {
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("exited before answering PING")
		default:
		}
		if ping(addr) == nil {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return errors.New("no PONG within " + startTimeout.String())
}

func ping(addr string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if strings.TrimSpace(line) != "+PONG" {
		return fmt.Errorf("PING answered %q", line)
	}
	return nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
