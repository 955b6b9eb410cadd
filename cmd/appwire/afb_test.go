package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/appwire/appwire/afbproto"
	"github.com/appwire/appwire/internal/afbtest"
)

// startAFBBinder serves a reference binder (hello and auth APIs, initial
// token HELLO) on a free loopback port and returns its API root URL.
func startAFBBinder(t *testing.T) string {
	t.Helper()
	_, url := afbtest.Start(t, afbproto.Options{Token: afbproto.FixedToken(afbtest.Token)})
	return url
}

// runCLI runs "appwire args..." in-process.
func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	code = run(ctx, args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestAFBCallHTTP(t *testing.T) {
	url := startAFBBinder(t)
	// hello/pingJson (upstream's hello3) answers a fixed object and names
	// the arguments it got in request.info.
	code, out, errs := runCLI(t, "", "afb", "call", "--token", "HELLO", url, "hello/pingJson", `{"x":1}`)
	if code != exitOK || !strings.Contains(out, `"myString":"Some String"`) || !strings.Contains(out, `"status":"success"`) ||
		!strings.Contains(out, `query={ \"x\": 1 }`) {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, out, errs)
	}
}

func TestAFBCallWebSocket(t *testing.T) {
	url := startAFBBinder(t)
	for _, args := range [][]string{
		{"afb", "call", "--ws", url, "auth/connect", "--token", "HELLO"},
		{"afb", "call", "--token", "HELLO", "ws" + strings.TrimPrefix(url, "http"), "auth/connect"},
	} {
		code, out, errs := runCLI(t, "", args...)
		if code != exitOK || !strings.Contains(out, "A New Token") || !strings.Contains(out, `"token":"`) {
			t.Errorf("%v: exit %d\nstdout %s\nstderr %s", args, code, out, errs)
		}
	}
}

func TestAFBCallFailureStatus(t *testing.T) {
	url := startAFBBinder(t)
	code, out, _ := runCLI(t, "", "afb", "call", url, "hello/pingfail")
	if code != exitFailed || !strings.Contains(out, `"status":"failed"`) {
		t.Errorf("pingfail: exit %d, stdout %s", code, out)
	}
	code, out, _ = runCLI(t, "", "afb", "call", "--ws", "--token", "WRONG", url, "hello/ping")
	if code != exitProblem {
		t.Errorf("refused upgrade: exit %d, stdout %s", code, out)
	}
}

func TestAFBCallUsage(t *testing.T) {
	for _, args := range [][]string{
		{"afb"},
		{"afb", "nosuch"},
		{"afb", "call"},
		{"afb", "call", "http://127.0.0.1:1/api", "noslash"},
		{"afb", "call", "http://127.0.0.1:1/api", "a/b", "{bad"},
		{"afb", "call", "--bogus", "http://127.0.0.1:1/api", "a/b"},
	} {
		if code, _, _ := runCLI(t, "", args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
}

func TestAFBCallUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	if code, _, _ := runCLI(t, "", "afb", "call", "http://"+addr+"/api", "a/b"); code != exitProblem {
		t.Errorf("exit %d, want %d", code, exitProblem)
	}
}

// Script mode, like afb-client-demo: calls from stdin over one socket,
// replies and events printed.
func TestAFBScript(t *testing.T) {
	url := startAFBBinder(t)
	script := strings.Join([]string{
		"# a comment",
		"hello/eventadd {\"tag\":\"t\",\"name\":\"ev9\"}",
		"",
		"hello eventsub {\"tag\":\"t\"}",
	}, "\n")
	code, out, errs := runCLI(t, script, "afb", "call", "--sync", "--token", "HELLO", url)
	if code != exitOK || strings.Count(out, "ON-REPLY") != 2 {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, out, errs)
	}
	script = "hello/pingfail\nnot-a-call\nhello/broadcast {\"name\":\"b\",\"data\":7}\n"
	code, out, errs = runCLI(t, script, "afb", "call", "--token", "HELLO", url)
	if code != exitFailed || !strings.Contains(out, "ON-REPLY 1:hello/pingfail: failed") ||
		!strings.Contains(errs, "line 2") || !strings.Contains(out, "ON-REPLY 3:hello/broadcast: success") ||
		!strings.Contains(out, "ON-EVENT hello/b: 7") {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, out, errs)
	}
}

func TestParseScriptLine(t *testing.T) {
	for _, tc := range []struct{ line, api, verb, args string }{
		{"hello/ping", "hello", "ping", ""},
		{"hello/ping {\"a\": 1}", "hello", "ping", `{"a": 1}`},
		{"hello ping", "hello", "ping", ""},
		{"hello\tping  [1, 2]", "hello", "ping", "[1, 2]"},
		{"a/b/c 1", "a", "b/c", "1"},
	} {
		api, verb, args, err := parseScriptLine(tc.line)
		got := ""
		if args != nil {
			got = string(args.(json.RawMessage))
		}
		if err != nil || api != tc.api || verb != tc.verb || got != tc.args {
			t.Errorf("%q: %q %q %q %v", tc.line, api, verb, got, err)
		}
	}
	for _, bad := range []string{"hello", "/ping", "hello/ping {bad"} {
		if _, _, _, err := parseScriptLine(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
