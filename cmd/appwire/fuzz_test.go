package main

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/appwire/appwire/afbproto"
	"github.com/appwire/appwire/internal/wsconn"
)

func TestFuzzReferenceBinder(t *testing.T) {
	url := startAFBBinder(t)
	code, out, errs := runCLI(t, "", "fuzz", "afb", url, "--duration", "1s", "--seed", "5", "--token", "HELLO")
	if code != exitOK || !strings.Contains(out, "no violation") || !strings.Contains(out, "seed 5") {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, out, errs)
	}
}

// A peer that replies to malformed frames rather than closing with 1008
// fails the run.
func TestFuzzBrokenPeer(t *testing.T) {
	ok := afbproto.AppendReply(nil, &afbproto.Reply{Status: afbproto.StatusSuccess}, afbproto.DialectV6)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := wsconn.Upgrade(w, r, wsconn.UpgradeOptions{Protocol: afbproto.Subprotocol})
		if err != nil {
			w.Write(ok)
			return
		}
		defer c.CloseNow()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for {
			_, msg, err := c.ReadMessage(ctx, nil)
			if err != nil {
				return
			}
			var f afbproto.Frame
			id := []byte("0")
			if f.Parse(msg) == nil && f.Type == afbproto.FrameCall {
				id = f.ID
			}
			rep := afbproto.Frame{Type: afbproto.FrameReplyOK, ID: id, Payload: ok}
			if c.WriteText(ctx, rep.Append(nil)) != nil {
				return
			}
		}
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	code, out, errs := runCLI(t, "", "fuzz", "afb", "http://"+ln.Addr().String()+"/api", "--max-inputs", "60", "--seed", "9", "--no-http", "--timeout", "1s")
	if code != exitFailed || !strings.Contains(out, "MUST violated") || !strings.Contains(out, "1008") {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, out, errs)
	}
	// Findings are printed as they are found, with the seed to replay.
	if !strings.Contains(errs, "finding: MUST violated") || !strings.Contains(errs, "of seed 9)") {
		t.Errorf("no live finding on stderr:\n%s", errs)
	}
}

func TestFuzzUsage(t *testing.T) {
	for _, args := range [][]string{
		{"fuzz"},
		{"fuzz", "afb"},
		{"fuzz", "nosuch", "http://127.0.0.1:1/api"},
		{"fuzz", "--bogus", "afb", "http://127.0.0.1:1/api"},
	} {
		if code, _, _ := runCLI(t, "", args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	for _, target := range []string{"http://" + addr + "/api", "ftp://127.0.0.1:1/api", "not-a-url", "URL"} {
		if code, _, _ := runCLI(t, "", "fuzz", "afb", target, "--duration", "1s"); code != exitProblem {
			t.Errorf("target %s: exit %d, want %d", target, code, exitProblem)
		}
	}
}

// Every protocol's fuzzer runs from the command line against the
// reference servers serve starts, with no finding, and reports progress
// on stderr; a dead target is exit 3.
func TestFuzzEveryProtocol(t *testing.T) {
	_, urls, _ := serveLines(t, "--only", "afb,simplepush,httpipc,loop,limp")
	for _, args := range [][]string{
		{"afb", urls["afb"], "--token", serveToken},
		{"simplepush", urls["simplepush"]},
		{"httpipc", urls["httpipc"]},
		{"loop", urls["loop"]},
		{"limp", urls["limp"], "--app", "appwire-demo", "--rate", "40"},
	} {
		code, out, errs := runCLI(t, "", append([]string{"fuzz"}, append(args, "--duration", "1s", "--seed", "7", "--batch", "10")...)...)
		if code != exitOK || !strings.Contains(out, "no violation") || !strings.Contains(out, "seed 7") {
			t.Errorf("fuzz %s: exit %d\nstdout %s\nstderr %s", args[0], code, out, errs)
		}
		if !strings.Contains(errs, "fuzzing "+args[0]) {
			t.Errorf("fuzz %s: no start line on stderr: %q", args[0], errs)
		}
	}
	dead := closedPort(t)
	for _, args := range [][]string{
		{"simplepush", "ws://" + dead + "/"},
		{"simplepush", "http://" + dead + "/"},
		{"httpipc", "tcp://" + dead},
		{"httpipc", "unix:///nonexistent/x.sock"},
		{"httpipc", "not-a-target"},
		{"loop", "http://" + dead},
		{"loop", "ws://" + dead},
		{"limp", "ws://" + dead + "/ws"},
		{"limp", "http://" + dead + "/ws"},
	} {
		code, _, errs := runCLI(t, "", append([]string{"fuzz"}, append(args, "--duration", "1s")...)...)
		if code != exitProblem {
			t.Errorf("fuzz %v: exit %d, want %d\n%s", args, code, exitProblem, errs)
		}
		oneLine(t, "fuzz "+strings.Join(args, " "), errs[strings.Index(errs, "\n")+1:])
	}
}
