// Package mongotest gives a test a MongoDB-wire server: a real MongoDB when
// the environment variable MONGODB_URI names one, otherwise FerretDB v1
// (embedded, SQLite backend) in its own process on a free 127.0.0.1 port
// with a temporary directory, stopped when the test ends.
//
//	srv := mongotest.Start(t)
//	uri, db := srv.URI(), srv.Database() // a database of this test's own
//
// The FerretDB binary comes from the small module in ./ferretdb (its own
// go.mod, so that the appwire module does not carry FerretDB's
// dependencies). Start uses $FERRETDB_BIN when set (CI builds it once),
// else builds it with "go build" into the user cache directory, keyed by a
// hash of that module's go.mod, go.sum and main.go, and reuses it.
//
// When neither MONGODB_URI nor a FerretDB binary can be had (no Go
// toolchain, no module download), the test is skipped with a message,
// unless the environment variable CI is set: there it fails.
package mongotest

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/appwire/appwire/internal/testproc"
)

// EnvURI names a real MongoDB to test against instead of FerretDB.
const EnvURI = "MONGODB_URI"

// EnvBinary names a prebuilt FerretDB binary (from ./ferretdb).
const EnvBinary = "FERRETDB_BIN"

// startTimeout bounds the wait for a fresh FerretDB to accept connections.
const startTimeout = 30 * time.Second

// Server is a MongoDB-wire server for one test.
type Server struct {
	uri string
	db  string
}

// URI is the mongodb:// connection string.
func (s *Server) URI() string { return s.uri }

// Database is a database name unique to this Start: tests on a shared
// MongoDB do not see each other's data.
func (s *Server) Database() string { return s.db }

// Start returns a server for t: MONGODB_URI's, or a fresh FerretDB stopped
// when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	db := "test_" + randomHex(6)
	if uri := os.Getenv(EnvURI); uri != "" {
		return &Server{uri: uri, db: db}
	}
	bin := binary(t)
	dir := t.TempDir()
	var uri string
	var err error
	for range 5 { // the free port can be taken between probe and bind
		var port int
		if port, err = freePort(); err != nil {
			break
		}
		if uri, err = launch(t, bin, port, dir); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("mongotest: start FerretDB: %v", err)
	}
	return &Server{uri: uri, db: db}
}

// Require skips t (fails it under CI) when no server can be had.
func Require(t testing.TB) {
	t.Helper()
	if os.Getenv(EnvURI) == "" {
		binary(t)
	}
}

func skipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := "mongotest: " + fmt.Sprintf(format, args...) +
		"; set " + EnvURI + " to a MongoDB, or " + EnvBinary + " to a FerretDB built from internal/mongotest/ferretdb (.ci/run does)"
	if os.Getenv("CI") != "" {
		t.Fatal(msg + "; CI is set, so this is a failure")
	}
	t.Skip(msg)
}

var (
	buildMu  sync.Mutex
	built    string
	buildErr error
)

// binary returns the FerretDB binary, building it once per test process
// (and once per source version across processes).
func binary(t testing.TB) string {
	t.Helper()
	if bin := os.Getenv(EnvBinary); bin != "" {
		if _, err := os.Stat(bin); err != nil {
			skipOrFail(t, "%s=%s: %v", EnvBinary, bin, err)
		}
		return bin
	}
	buildMu.Lock()
	defer buildMu.Unlock()
	if built == "" && buildErr == nil {
		built, buildErr = build()
	}
	if buildErr != nil {
		skipOrFail(t, "cannot build FerretDB: %v", buildErr)
	}
	return built
}

// moduleDir is the ferretdb module beside this file.
func moduleDir() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("cannot locate the mongotest sources")
	}
	dir := filepath.Join(filepath.Dir(file), "ferretdb")
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		return "", err
	}
	return dir, nil
}

func build() (string, error) {
	dir, err := moduleDir()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, f := range []string{"go.mod", "go.sum", "main.go"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s %d\n", f, len(b))
		h.Write(b)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	out := filepath.Join(cache, "appwire-ferretdb", hex.EncodeToString(h.Sum(nil))[:16], "ferretdb")
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", errors.New("no go toolchain in PATH")
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", err
	}
	// Build to a temporary name and rename, so that concurrent test
	// processes never run a half-written binary.
	tmp := out + ".tmp" + randomHex(4)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, "build", "-o", tmp, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly -buildvcs=false")
	if msg, err := cmd.CombinedOutput(); err != nil {
		_ = os.Remove(tmp)
		return "", fmt.Errorf("go build in %s: %v: %s", dir, err, tail(string(msg)))
	}
	if err := os.Rename(tmp, out); err != nil {
		return "", err
	}
	return out, nil
}

func tail(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-5):], " | ")
}

// launch starts FerretDB on port and waits for its "ready" line. The
// process exits when its stdin closes (at cleanup, or when the test binary
// dies), so none outlives its test.
func launch(t testing.TB, bin string, port int, dir string) (string, error) {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	data := filepath.Join(dir, "data-"+strconv.Itoa(port))
	cmd := exec.Command(bin, "-listen", addr, "-dir", data)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return "", err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	testproc.SetPdeathsig(cmd)
	if err := cmd.Start(); err != nil {
		return "", err
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	stop := func() {
		_ = stdin.Close()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if uri, ok := strings.CutPrefix(sc.Text(), "ready "); ok {
				ready <- uri
				break
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case uri := <-ready:
		t.Cleanup(func() {
			stop()
			if t.Failed() {
				if s := stderr.String(); s != "" {
					t.Logf("mongotest: FerretDB log: %s", tail(s))
				}
			}
		})
		u, err := url.Parse(uri)
		if err != nil || u.Host != addr {
			stop()
			return "", fmt.Errorf("unexpected URI %q", uri)
		}
		return uri, nil
	case <-done:
		return "", fmt.Errorf("exited before listening: %s", tail(stderr.String()))
	case <-time.After(startTimeout):
		stop()
		return "", fmt.Errorf("not ready after %v: %s", startTimeout, tail(stderr.String()))
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() < 1<<20 {
		l.b.Write(p)
	}
	return len(p), nil
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
