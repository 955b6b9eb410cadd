package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// startCLI runs an appwire command in-process until the test ends and
// returns the first line it prints.
func startCLI(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	code := make(chan int, 1)
	var stderr strings.Builder
	go func() {
		code <- run(ctx, args, strings.NewReader(""), pw, &stderr)
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	if !sc.Scan() {
		cancel()
		t.Fatalf("%v printed nothing (exit %d): %s", args, <-code, stderr.String())
	}
	line := sc.Text()
	go io.Copy(io.Discard, pr)
	t.Cleanup(func() {
		cancel()
		select {
		case c := <-code:
			if c != exitOK {
				t.Errorf("%v: exit %d: %s", args, c, stderr.String())
			}
		case <-time.After(15 * time.Second):
			t.Errorf("%v did not stop after its context ended", args)
		}
	})
	return line
}

func ipcSocket(t *testing.T) string {
	dir, err := os.MkdirTemp("", "awipc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "s")
}

func TestIPCServeCallBridge(t *testing.T) {
	sock := ipcSocket(t)
	if line := startCLI(t, "ipc", "serve", "--socket", sock, "--demo"); !strings.Contains(line, "unix:"+sock) {
		t.Fatalf("serve printed %q", line)
	}
	fi, err := os.Stat(sock)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v, %v; want 0600", fi.Mode(), err)
	}

	code, out, stderr := runCLI(t, "", "ipc", "call", "--socket", sock, "GET", "/.well-known/oauth-authorization-server")
	if code != exitOK || !strings.Contains(out, `"token_endpoint":"http://ipc.localhost/token"`) {
		t.Fatalf("ipc call: exit %d, %q, %s", code, out, stderr)
	}
	code, out, _ = runCLI(t, "", "ipc", "call", "-i", "--socket", sock, "GET", "/api/me")
	if code != exitFailed || !strings.HasPrefix(out, "HTTP/1.1 401 Unauthorized\r\n") || !strings.Contains(out, "Www-Authenticate: Bearer") {
		t.Errorf("unauthenticated call: exit %d, %q", code, out)
	}

	line := startCLI(t, "ipc", "bridge", "--socket", sock)
	m := regexp.MustCompile(`^bridge (http://127\.0\.0\.1:\d+) -> unix:`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("bridge printed %q", line)
	}
	resp, err := http.Get(m[1] + "/.well-known/oauth-authorization-server")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != 200 || !strings.Contains(string(b), `"issuer":"http://ipc.localhost"`) {
		t.Errorf("through the bridge: %s %s", resp.Status, b)
	}
}

func TestIPCServeUpstream(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		io.WriteString(w, r.Method+" "+r.URL.Path+" "+string(b))
	}))
	defer up.Close()
	sock := ipcSocket(t)
	startCLI(t, "ipc", "serve", "--socket", sock, "--upstream", up.URL+"/base")
	code, out, stderr := runCLI(t, "", "ipc", "call", "--socket", sock, "POST", "/x", "a=1")
	if code != exitOK || out != "POST /base/x a=1" {
		t.Fatalf("exit %d, %q, %s", code, out, stderr)
	}
}

func TestIPCUsage(t *testing.T) {
	for _, args := range [][]string{
		{"ipc"},
		{"ipc", "nope"},
		{"ipc", "serve", "--socket", "/tmp/x"}, // neither --demo nor --upstream
		{"ipc", "serve", "--socket", "/tmp/x", "--demo", "--upstream", "http://a"}, // both
		{"ipc", "serve", "--socket", "/tmp/x", "--upstream", "ftp://a"},
		{"ipc", "call", "GET", "/"},               // no socket
		{"ipc", "bridge", "--registry", "r.json"}, // no --service
	} {
		t.Setenv("HTTPIPC_SOCKET", "")
		if code, _, _ := runCLI(t, "", args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
	if code, _, _ := runCLI(t, "", "ipc", "bridge", "--socket", "/tmp/x", "--listen", "0.0.0.0:0"); code != exitProblem {
		t.Errorf("non-loopback bridge: exit %d, want %d", code, exitProblem)
	}
}

// "appwire serve" prints an API call with a token that works as pasted.
func TestServeHTTPIPCDemo(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"serve", "--only", "httpipc", "--listen", "127.0.0.1:0"}, strings.NewReader(""), pw, io.Discard)
		pw.Close()
	}()
	defer func() {
		cancel()
		if c := <-code; c != exitOK {
			t.Errorf("serve: exit %d", c)
		}
	}()
	sc := bufio.NewScanner(pr)
	var out []string
	for sc.Scan() && !strings.HasPrefix(sc.Text(), "ready:") {
		out = append(out, sc.Text())
	}
	go io.Copy(io.Discard, pr)
	text := strings.Join(out, "\n")
	m := regexp.MustCompile(`curl -H 'Authorization: Bearer ([^']+)' (http://127\.0\.0\.1:\d+)/api/me`).FindStringSubmatch(text)
	if m == nil || !strings.Contains(text, "httpipc    unix://") {
		t.Fatalf("serve printed:\n%s", text)
	}
	req, _ := http.NewRequest("GET", m[2]+"/api/me", nil)
	req.Header.Set("Authorization", "Bearer "+m[1])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != 200 || !strings.Contains(string(b), `"user":"alice"`) {
		t.Errorf("the printed call: %s %s", resp.Status, b)
	}
}

// --max-body sets the bridge's and the server's request limits; a 413
// says which limit was hit.
func TestIPCMaxBody(t *testing.T) {
	sock := ipcSocket(t)
	startCLI(t, "ipc", "serve", "--socket", sock, "--conformance", "--max-body", "100")
	// The server's own limit: its /echo handler reads past 100 bytes,
	// gets an error and answers nothing, so the stream is reset with
	// MESSAGE_TOO_LARGE naming the limit.
	code, _, stderr := runCLI(t, "", "ipc", "call", "--socket", sock, "POST", "/echo", strings.Repeat("a", 200))
	if code != exitProblem || !strings.Contains(stderr, "MESSAGE_TOO_LARGE") || !strings.Contains(stderr, "limit of 100 bytes") {
		t.Errorf("server --max-body 100, 200 bytes: exit %d, %q", code, stderr)
	}
	if code, out, _ := runCLI(t, "", "ipc", "call", "--socket", sock, "POST", "/echo", strings.Repeat("a", 100)); code != exitOK || len(out) != 100 {
		t.Errorf("server --max-body 100, 100 bytes: exit %d, %d bytes back", code, len(out))
	}
	line := startCLI(t, "ipc", "bridge", "--socket", sock, "--max-body", "50")
	m := regexp.MustCompile(`^bridge (http://127\.0\.0\.1:\d+) -> unix:`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("bridge printed %q", line)
	}
	resp, err := http.Post(m[1]+"/echo", "text/plain", strings.NewReader(strings.Repeat("b", 80)))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), "50") {
		t.Errorf("bridge --max-body 50, 80 bytes: %s %q", resp.Status, b)
	}
}

// ipc serve --idle exits once no request has come for that long, counted
// from the last one.
func TestIPCServeIdle(t *testing.T) {
	sock := ipcSocket(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"ipc", "serve", "--socket", sock, "--demo", "--idle", "3s"}, strings.NewReader(""), io.Discard, io.Discard)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(sock); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	var last time.Time
	for i := range 3 { // requests a second apart keep it alive past its idle time
		if i > 0 {
			time.Sleep(time.Second)
		}
		if c, out, stderr := runCLI(t, "", "ipc", "call", "--socket", sock, "GET", "/.well-known/oauth-authorization-server"); c != exitOK {
			t.Fatalf("ipc call: exit %d %s %s", c, out, stderr)
		}
		last = time.Now()
	}
	select {
	case c := <-code:
		if c != exitOK {
			t.Errorf("exit %d", c)
		}
		if since := time.Since(last); since < 2900*time.Millisecond {
			t.Errorf("exited %v after the last request, before its idle time", since)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("still running 15 s after the last request with --idle 3s")
	}
}

// ipc serve drains on Ctrl-C or SIGTERM: a request in flight is answered.
func TestIPCServeDrains(t *testing.T) {
	sock := ipcSocket(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"ipc", "serve", "--socket", sock, "--conformance"}, strings.NewReader(""), io.Discard, io.Discard)
	}()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(sock); err == nil {
			break
		}
	}
	type result struct {
		code     int
		out, err string
	}
	done := make(chan result, 1)
	go func() {
		c, out, stderr := runCLI(t, "", "ipc", "call", "--socket", sock, "GET", "/slow?ms=1500")
		done <- result{c, out, stderr}
	}()
	time.Sleep(500 * time.Millisecond) // the request is in its handler (it takes 1.5 s)
	cancel()
	if r := <-done; r.code != exitOK || r.out != "slow" {
		t.Errorf("request in flight at Ctrl-C: exit %d %q %s", r.code, r.out, r.err)
	}
	if c := <-code; c != exitOK {
		t.Errorf("ipc serve exit %d after Ctrl-C", c)
	}
}

// ipc serve --stdio is a command target: the httpipc suite passes against
// it through conform's --command, one process per case, and the fuzzer
// finds nothing.
func TestIPCServeStdio(t *testing.T) {
	bin := buildCLI(t)
	command := "exec '" + bin + "' ipc serve --stdio --conformance"
	code, out, stderr := runCLI(t, "", "conform", "httpipc", "stdio", "--command", command)
	if code != exitOK || !strings.Contains(out, " 0 failed, 0 info, 0 errors") {
		t.Errorf("conform httpipc --command: exit %d\n%s%s", code, out, stderr)
	}
	code, out, stderr = runCLI(t, "", "fuzz", "httpipc", "stdio", "--command", command, "--max-inputs", "100", "--seed", "3", "--batch", "25")
	if code != exitOK || !strings.Contains(out, "no violation") {
		t.Errorf("fuzz httpipc --command: exit %d\n%s%s", code, out, stderr)
	}
}
