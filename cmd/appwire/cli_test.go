package main

import (
	"bufio"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestUsage(t *testing.T) {
	if code, _, stderr := runCLI(t, ""); code != exitUsage || !strings.Contains(stderr, "conform") {
		t.Errorf("no args: exit %d, stderr %q", code, stderr)
	}
	if code, _, stderr := runCLI(t, "", "nope"); code != exitUsage || !strings.Contains(stderr, `unknown command "nope"`) {
		t.Errorf("unknown command: exit %d, stderr %q", code, stderr)
	}
	if code, _, _ := runCLI(t, "", "conform", "nope", "http://x"); code != exitUsage {
		t.Errorf("unknown protocol: exit %d", code)
	}
	if code, _, _ := runCLI(t, "", "serve", "--listen", "nonsense"); code != exitUsage {
		t.Errorf("bad --listen: exit %d", code)
	}
}

// startServe runs "appwire serve" in-process on free ports and returns the
// afb URL it printed, and a stop function that waits for a clean exit.
func startServe(t *testing.T) (string, func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	codec := make(chan int, 1)
	go func() {
		codec <- run(ctx, []string{"serve", "--listen", "127.0.0.1:0"}, strings.NewReader(""), pw, io.Discard)
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	var url string
	for sc.Scan() {
		line := sc.Text()
		if f := strings.Fields(line); len(f) == 2 && f[0] == "afb" {
			url = f[1]
		}
		if strings.HasPrefix(line, "ready:") {
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if url == "" {
		cancel()
		t.Fatalf("serve printed no afb URL (exit %d)", <-codec)
	}
	var once bool
	stop := func() int {
		if once {
			return exitOK
		}
		once = true
		cancel()
		select {
		case c := <-codec:
			return c
		case <-time.After(15 * time.Second):
			t.Fatal("serve did not stop after its context ended")
			return -1
		}
	}
	t.Cleanup(func() { stop() })
	return url, stop
}

func TestServeAnswersAndStops(t *testing.T) {
	url, stop := startServe(t)
	if !strings.HasPrefix(url, "http://127.0.0.1:") || !strings.HasSuffix(url, "/api") {
		t.Fatalf("afb URL %q", url)
	}
	resp, err := http.Get(url + "/hello/ping?x=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	var reply struct {
		Jtype   string
		Request struct{ Status string }
	}
	if err := json.Unmarshal(body, &reply); err != nil || reply.Jtype != "afb-reply" || reply.Request.Status != "success" {
		t.Fatalf("hello/ping: %s (%v)", body, err)
	}
	if code := stop(); code != exitOK {
		t.Errorf("serve exit %d after Ctrl-C", code)
	}
	// The port is free again: the server really stopped.
	host := strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/api")
	ln, err := net.Listen("tcp", host)
	if err != nil {
		t.Errorf("port still held after shutdown: %v", err)
	} else {
		ln.Close()
	}
}

func TestConformAgainstServe(t *testing.T) {
	url, _ := startServe(t)
	dir := t.TempDir()
	jsonPath, junitPath := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.xml")
	code, out, stderr := runCLI(t, "", "conform", "afb", url, "--token", serveToken,
		"--strict", "--json", jsonPath, "--junit", junitPath)
	if code != exitOK {
		t.Fatalf("conform exit %d\n%s\n%s", code, out, stderr)
	}
	if !strings.Contains(out, " 0 failed, 0 info, 0 errors") {
		t.Errorf("summary missing:\n%s", out)
	}
	var rep struct {
		Reports []struct {
			Suite   string
			Results []struct{ ID, Verdict string }
		}
	}
	data, err := os.ReadFile(jsonPath)
	if err != nil || json.Unmarshal(data, &rep) != nil || len(rep.Reports) != 1 || len(rep.Reports[0].Results) < 30 {
		t.Fatalf("JSON report: %v %.200s", err, data)
	}
	data, err = os.ReadFile(junitPath)
	var junit struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
	}
	if err != nil || xml.Unmarshal(data, &junit) != nil || junit.Tests != len(rep.Reports[0].Results) || junit.Failures != 0 {
		t.Fatalf("JUnit report: %v %+v", err, junit)
	}

	// The wrong initial token makes token cases fail: exit status 1, and
	// the failure is printed with its expectation.
	code, out, _ = runCLI(t, "", "conform", "afb", url, "--token", "WRONG", "--run", "afb/3.5")
	if code != exitFailed || !strings.Contains(out, "Expected:") {
		t.Errorf("wrong token: exit %d, want 1\n%s", code, out)
	}

	// Only the selected cases run.
	code, out, _ = runCLI(t, "", "conform", "--run", "afb/4.1", "afb", url, "--token", serveToken)
	if code != exitOK || strings.Contains(out, "afb/4.2/") || !strings.Contains(out, "afb/4.1/1 ") {
		t.Errorf("--run afb/4.1: exit %d\n%s", code, out)
	}
}

func TestConformDeadTarget(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	code, out, stderr := runCLI(t, "", "conform", "afb", "http://"+addr+"/api", "--timeout", "2s", "--run", "afb/1.1")
	if code != exitProblem || strings.Contains(out, "ERROR") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("dead target: exit %d, want %d and one line\nstdout %s\nstderr %s", code, exitProblem, out, stderr)
	}
}

func TestConformListAndSelf(t *testing.T) {
	code, out, _ := runCLI(t, "", "conform", "afb", "--list")
	if code != exitOK || !strings.Contains(out, "afb/4.2/1 ") || !strings.Contains(out, "--token") {
		t.Errorf("--list: exit %d\n%s", code, out)
	}
	code, out, stderr := runCLI(t, "", "conform", "self", "--strict")
	if code != exitOK || !strings.Contains(out, "0 failed, 0 info, 0 errors") {
		t.Errorf("conform self: exit %d\n%s\n%s", code, out, stderr)
	}
}
