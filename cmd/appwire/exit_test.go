package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/appwire/appwire/afbproto"
	"github.com/appwire/appwire/httpipc"
)

// serveLines runs "appwire serve --listen 127.0.0.1:0 args..." in-process
// and returns what it printed up to its "ready:" line, the URL of each
// protocol, and a stop function (Ctrl-C) returning the exit code.
func serveLines(t *testing.T, args ...string) (lines []string, urls map[string]string, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	codec := make(chan int, 1)
	go func() {
		codec <- run(ctx, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...), strings.NewReader(""), pw, io.Discard)
		pw.Close()
	}()
	urls = map[string]string{}
	sc := bufio.NewScanner(pr)
	ready := false
	for sc.Scan() {
		line := sc.Text()
		lines = append(lines, line)
		if f := strings.Fields(line); len(f) == 2 && !strings.HasPrefix(line, " ") {
			urls[f[0]] = f[1]
		}
		if strings.HasPrefix(line, "ready:") {
			ready = true
			break
		}
	}
	go io.Copy(io.Discard, pr)
	done := false
	stop = func() int {
		if done {
			return exitOK
		}
		done = true
		cancel()
		select {
		case c := <-codec:
			return c
		case <-time.After(20 * time.Second):
			t.Fatal("serve did not stop after Ctrl-C")
			return -1
		}
	}
	t.Cleanup(func() { stop() })
	if !ready {
		t.Fatalf("serve %v did not get ready (exit %d):\n%s", args, stop(), strings.Join(lines, "\n"))
	}
	return lines, urls, stop
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// oneLine checks that s is exactly one line (the CLI's "one clear line").
func oneLine(t *testing.T, what, s string) {
	t.Helper()
	if strings.Count(s, "\n") != 1 || !strings.HasSuffix(s, "\n") {
		t.Errorf("%s: want one line on stderr, got %q", what, s)
	}
}

// A target that cannot be tested at all is probed once: exit 3 with one
// line, no case output, and the report files still say why.
func TestConformUnreachableExit3(t *testing.T) {
	dead := closedPort(t)
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("plain HTTP")) }))
	t.Cleanup(plain.Close)
	for _, c := range []struct{ proto, target string }{
		{"afb", "URL"},
		{"afb", "not-a-url"},
		{"afb", "ws://" + dead + "/api"},
		{"afb", "http://127.0.0.1:1/api"},
		{"afb", "http://" + dead + "/api"},
		{"simplepush", "URL"},
		{"simplepush", "http://" + dead + "/"},
		{"simplepush", "ws://" + dead + "/"},
		{"simplepush", strings.Replace(plain.URL, "http", "ws", 1) + "/"}, // answers, but no WebSocket
		{"httpipc", "not-a-url"},
		{"httpipc", "unix://" + filepath.Join(t.TempDir(), "none.sock")},
		{"httpipc", "tcp://" + strings.TrimPrefix(plain.URL, "http://")}, // plain HTTP, no httpipc handshake
	} {
		dir := t.TempDir()
		jsonPath, junitPath := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.xml")
		code, out, stderr := runCLI(t, "", "conform", c.proto, c.target, "--timeout", "2s", "--json", jsonPath, "--junit", junitPath)
		if code != exitProblem {
			t.Errorf("conform %s %s: exit %d, want %d\n%s%s", c.proto, c.target, code, exitProblem, out, stderr)
			continue
		}
		oneLine(t, "conform "+c.proto+" "+c.target, stderr)
		if !strings.Contains(stderr, "cannot test") || strings.Contains(out, "ERROR") {
			t.Errorf("conform %s %s:\nstdout %s\nstderr %s", c.proto, c.target, out, stderr)
		}
		var rep struct {
			Reports []struct{ Unreachable string }
		}
		data, err := os.ReadFile(jsonPath)
		if err != nil || json.Unmarshal(data, &rep) != nil || len(rep.Reports) != 1 || rep.Reports[0].Unreachable == "" {
			t.Errorf("conform %s %s: JSON report %v %.300s", c.proto, c.target, err, data)
		}
		if data, err := os.ReadFile(junitPath); err != nil || !strings.Contains(string(data), "target unreachable") {
			t.Errorf("conform %s %s: JUnit report %v %.300s", c.proto, c.target, err, data)
		}
	}
}

// Usage mistakes exit 2 and say which, in one line, before the usage.
func TestConformUsageExit2(t *testing.T) {
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"conform"}, "missing PROTOCOL"},
		{[]string{"conform", "afb"}, "missing TARGET"},
		{[]string{"conform", "--run", "afb/4", "afb"}, "missing TARGET"},
		{[]string{"conform", "afb", "http://127.0.0.1:1/api", "extra"}, `unexpected argument "extra"`},
		{[]string{"conform", "self", "extra"}, `unexpected argument "extra"`},
		{[]string{"conform", "nope", "http://x"}, `unknown protocol "nope"`},
		{[]string{"conform", "afb", "http://127.0.0.1:1/api", "--run", "afb/99"}, "matches no case"},
		{[]string{"conform", "self", "--run", "nothing/1"}, "matches no case"},
		{[]string{"conform", "self", "--profile", "nope"}, "no profile of any suite"},
		{[]string{"conform", "afb", "http://127.0.0.1:1/api", "--profile", "nope"}, `unknown --profile "nope"`},
		{[]string{"conform", "afb", "http://127.0.0.1:1/api", "--max-channels", "3"}, "not defined"},
		{[]string{"fuzz"}, "missing PROTOCOL"},
		{[]string{"fuzz", "afb"}, "missing TARGET"},
		{[]string{"fuzz", "afb", "http://127.0.0.1:1/api", "extra"}, `unexpected argument "extra"`},
		{[]string{"fuzz", "nosuch", "x"}, `no fuzzer for protocol "nosuch"`},
		{[]string{"serve", "extra"}, `unexpected argument "extra"`},
		{[]string{"serve", "--simplepush-dialect", "nope"}, "want pushgo or autopush"},
		{[]string{"afb"}, "missing subcommand"},
		{[]string{"afb", "call"}, "missing URL"},
		{[]string{"afb", "call", "http://127.0.0.1:1/api", "noslash"}, "is not api/verb"},
		{[]string{"push", "notify"}, "missing ENDPOINT"},
		{[]string{"push", "listen", "ws://x/", "extra"}, `unexpected argument "extra"`},
		{[]string{"ipc", "call", "--socket", "/x.sock", "GET"}, "missing URL"},
		{[]string{"ipc", "serve", "--socket", "/x.sock"}, "want exactly one of"},
		{[]string{"ipc", "nope"}, `unknown subcommand "nope"`},
	} {
		code, _, stderr := runCLI(t, "", c.args...)
		first, _, _ := strings.Cut(stderr, "\n")
		if code != exitUsage || !strings.Contains(first, c.says) {
			t.Errorf("%v: exit %d, first line %q; want %d and %q", c.args, code, first, exitUsage, c.says)
		}
	}
}

// Each tool's --help lists its flags; "conform PROTO --help" lists that
// suite's parameters only.
func TestHelpListsFlags(t *testing.T) {
	for _, c := range []struct {
		args         []string
		want, reject []string
	}{
		{[]string{"afb", "--help"}, []string{"-token", "-ws", "-sync", "-timeout"}, nil},
		{[]string{"push", "--help"}, []string{"-version", "-data", "-count"}, nil},
		{[]string{"ipc", "--help"}, []string{"-socket", "-upstream", "-allow-host", "-H", "-stdio"}, nil},
		{[]string{"conform", "afb", "--help"}, []string{"-token", "-badtoken", "afb parameters"}, []string{"-max-channels", "-command"}},
		{[]string{"conform", "simplepush", "--help"}, []string{"-max-channels", "-hello-timeout"}, []string{"-token", "-command"}},
		{[]string{"conform", "httpipc", "--help"}, []string{"-command", "-max-body"}, []string{"-token", "-max-channels"}},
		{[]string{"conform", "--help"}, []string{"-run", "-strict"}, []string{"-token", "-max-channels"}},
		{[]string{"fuzz", "afb", "--help"}, []string{"-token", "-no-ws", "-duration"}, []string{"-command"}},
		{[]string{"fuzz", "httpipc", "--help"}, []string{"-command", "-seed"}, []string{"-token"}},
		{[]string{"serve", "--help"}, []string{"-afb-token", "-afb-session-timeout", "-simplepush-dialect"}, nil},
	} {
		code, _, stderr := runCLI(t, "", c.args...)
		if code != exitOK {
			t.Errorf("%v: exit %d", c.args, code)
		}
		for _, w := range c.want {
			if !strings.Contains(stderr, "  "+w) && !strings.Contains(stderr, w) {
				t.Errorf("%v: no %s in\n%s", c.args, w, stderr)
			}
		}
		for _, r := range c.reject {
			if strings.Contains(stderr, "  "+r+" ") || strings.Contains(stderr, "  "+r+"\n") {
				t.Errorf("%v: %s listed in\n%s", c.args, r, stderr)
			}
		}
	}
}

// afb call exits with the same code over HTTP and WebSocket for the same
// bad URL.
func TestAFBCallSameExitBothTransports(t *testing.T) {
	dead := closedPort(t)
	for _, url := range []string{"not-a-url", "http://" + dead + "/api", "ftp://127.0.0.1:1/api"} {
		httpCode, _, _ := runCLI(t, "", "afb", "call", url, "hello/ping")
		wsCode, _, _ := runCLI(t, "", "afb", "call", "--ws", url, "hello/ping")
		if httpCode != exitProblem || wsCode != exitProblem {
			t.Errorf("%s: exit %d over HTTP, %d over --ws; want %d for both", url, httpCode, wsCode, exitProblem)
		}
	}
}

// serve checks Redis before anything else: a dead one is one line and
// exit 3, with no server started and no example printed. The built
// command runs, so that a library's own logging to stderr shows too.
func TestServeDeadRedis(t *testing.T) {
	cmd := exec.Command(buildCLI(t), "serve", "--listen", "127.0.0.1:0", "--redis", "redis://"+closedPort(t)+"/0")
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	err := cmd.Run()
	if code := exitCode(err); code != exitProblem || out.Len() != 0 {
		t.Errorf("exit %d, stdout %q", code, out.String())
	}
	oneLine(t, "serve --redis dead", stderr.String())
}

// The serve flags reach the servers: the afb token and the SimplePush
// dialect show in the printed examples, which work as printed.
func TestServeProtocolFlags(t *testing.T) {
	lines, urls, _ := serveLines(t, "--only", "afb,simplepush", "--afb-token", "S3CRET", "--simplepush-dialect", "autopush",
		"--simplepush-hello-timeout", "2s")
	text := strings.Join(lines, "\n")
	if !strings.Contains(text, "--token S3CRET") || strings.Contains(text, "HELLO") {
		t.Errorf("afb examples do not use --afb-token:\n%s", text)
	}
	if !strings.Contains(text, "--profile autopush --hello-timeout 2s") {
		t.Errorf("simplepush conform example does not follow the dialect:\n%s", text)
	}
	if code, out, stderr := runCLI(t, "", "afb", "call", "--token", "S3CRET", urls["afb"], "auth/connect"); code != exitOK {
		t.Errorf("auth/connect with the served token: exit %d\n%s%s", code, out, stderr)
	}
	// The autopush dialect answers a second hello with 401 "duplicate
	// hello"; its suite case passes only against an autopush server.
	code, out, stderr := runCLI(t, "", "conform", "simplepush", urls["simplepush"], "--profile", "autopush", "--run", "simplepush/3.1/13")
	if code != exitOK || !strings.Contains(out, "1 passed") {
		t.Errorf("autopush case against --simplepush-dialect autopush: exit %d\n%s%s", code, out, stderr)
	}
}

// When cases get 401 and no token was given, the run says once that a
// token is needed.
func TestConformTokenHint(t *testing.T) {
	_, urls, _ := serveLines(t, "--only", "afb")
	for _, run := range []string{"afb/3.5", "afb/4.1"} { // denied with "invalid token", 401 at the upgrade
		code, out, _ := runCLI(t, "", "conform", "afb", urls["afb"], "--run", run)
		if code != exitFailed || strings.Count(out, "hint:") != 1 || !strings.Contains(out, "--token") {
			t.Errorf("no token, --run %s: exit %d, want %d and one hint\n%s", run, code, exitFailed, out)
		}
	}
	code, out, _ := runCLI(t, "", "conform", "afb", urls["afb"], "--run", "afb/3.5,afb/4.1", "--token", serveToken)
	if code != exitOK || strings.Contains(out, "hint:") {
		t.Errorf("with the token: exit %d\n%s", code, out)
	}
}

// Cases are printed as they end, before the summary; a suite without
// profiles names none in its header.
func TestConformLiveOutput(t *testing.T) {
	code, out, stderr := runCLI(t, "", "conform", "self", "--run", "httpipc/2.2/1,afb/4.1/1")
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, stderr)
	}
	if strings.Contains(out, `(profile "")`) {
		t.Errorf("empty profile in a header:\n%s", out)
	}
	for _, id := range []string{"httpipc/2.2/1", "afb/4.1/1"} {
		if strings.Count(out, id+" ") != 1 {
			t.Errorf("%s printed %d times, want once:\n%s", id, strings.Count(out, id+" "), out)
		}
	}
	if i, j := strings.Index(out, "afb/4.1/1 "), strings.Index(out, "Finished in"); i < 0 || j < i {
		t.Errorf("the case line does not come before the summary:\n%s", out)
	}
}

// serve drains on Ctrl-C: a request in flight when the signal comes is
// answered before serve exits.
func TestServeDrainsInFlight(t *testing.T) {
	_, urls, stop := serveLines(t, "--only", "httpipc")
	sock := strings.TrimPrefix(urls["httpipc"], "unix://")
	tr := httpipc.UnixTransport(sock)
	defer tr.Close()
	type result struct {
		status int
		body   string
		err    error
	}
	done := make(chan result, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodGet, "http://"+httpipc.DefaultHost+"/slow?ms=1500", nil)
		resp, err := tr.RoundTrip(req)
		if err != nil {
			done <- result{err: err}
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		done <- result{resp.StatusCode, string(b), err}
	}()
	time.Sleep(500 * time.Millisecond) // the request is in the handler (it takes 1.5 s)
	if code := stop(); code != exitOK {
		t.Errorf("serve exit %d after Ctrl-C", code)
	}
	r := <-done
	if r.err != nil || r.status != http.StatusOK || r.body != "slow" {
		t.Errorf("in-flight request: %d %q %v", r.status, r.body, r.err)
	}
}

// SIGTERM stops the built serve gracefully: it says so and exits 0.
func TestServeSIGTERM(t *testing.T) {
	cmd := exec.Command(buildCLI(t), "serve", "--listen", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var out strings.Builder
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
		if strings.HasPrefix(sc.Text(), "ready:") {
			break
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(stdout)
	out.Write(rest)
	if err := cmd.Wait(); err != nil || !strings.Contains(out.String(), "shutting down") {
		t.Errorf("serve after SIGTERM: %v\nstdout %s\nstderr %s", err, out.String(), stderr.String())
	}
}

// conform self --profile P runs the reference servers in that upstream
// dialect, so they pass the profile's cases.
func TestConformSelfProfiles(t *testing.T) {
	for _, profile := range []string{"autopush", "final"} {
		code, out, stderr := runCLI(t, "", "conform", "self", "--profile", profile)
		if code != exitOK || !strings.Contains(out, "0 failed, 0 info, 0 errors") || !strings.Contains(out, `(profile "`+profile+`")`) {
			t.Errorf("conform self --profile %s: exit %d\n%s%s", profile, code, out, stderr)
		}
	}
}

// A target that stops answering in the middle of a run is reported once,
// with the cases not run, instead of erring every later case.
func TestConformTargetStopsMidRun(t *testing.T) {
	b, err := afbproto.NewBinder(afbproto.Options{Token: afbproto.FixedToken(serveToken)})
	if err != nil {
		t.Fatal(err)
	}
	for _, api := range []afbproto.API{afbproto.NewHelloAPI(), afbproto.NewAuthAPI()} {
		if err := b.AddAPI(api); err != nil {
			t.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		srv      http.Server
		requests atomic.Int32
	)
	srv.ReadHeaderTimeout = 5 * time.Second
	srv.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requests.Add(1) == 25 { // the 25th request "crashes" the daemon
			go srv.Close()
			return
		}
		b.ServeHTTP(w, r)
	})
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close(); b.Shutdown(context.Background()) })

	dir := t.TempDir()
	jsonPath := filepath.Join(dir, "r.json")
	code, out, stderr := runCLI(t, "", "conform", "afb", "http://"+ln.Addr().String()+"/api", "--token", serveToken, "--timeout", "2s", "--json", jsonPath)
	if code != exitFailed || strings.Count(out, "STOPPED: the target stopped answering") != 1 {
		t.Fatalf("exit %d, want %d and one STOPPED line\n%s%s", code, exitFailed, out, stderr)
	}
	if n := strings.Count(out, "! ERROR"); n > 3 {
		t.Errorf("%d cases erred: the run should stop at the first ones\n%s", n, out)
	}
	var rep struct {
		Reports []struct {
			Stopped struct {
				During string
				NotRun []string `json:"not_run"`
			}
		}
	}
	data, err := os.ReadFile(jsonPath)
	if err != nil || json.Unmarshal(data, &rep) != nil || len(rep.Reports) != 1 || rep.Reports[0].Stopped.During == "" || len(rep.Reports[0].Stopped.NotRun) == 0 {
		t.Errorf("JSON report: %v %.400s", err, data)
	}
}
