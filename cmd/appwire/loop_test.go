package main

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/appwire/appwire/internal/redistest"
)

// startLoopServe starts SimplePush and Loop as "serve" does and returns
// the Loop instance.
func startLoopServe(t *testing.T, redisURL string) *instance {
	t.Helper()
	ctx := context.Background()
	env := &serveEnv{redisURL: redisURL}
	for _, p := range []protocol{simplepushProtocol()} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		inst, err := p.serve(ctx, ln, env)
		if err != nil {
			t.Fatal(err)
		}
		inst.protocol = p.name
		env.started = append(env.started, inst)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	inst, err := serveLoop(ctx, ln, env, &loopServeConfig{})
	if err != nil {
		t.Fatal(err)
	}
	inst.protocol = "loop"
	env.started = append(env.started, inst)
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for i := len(env.started) - 1; i >= 0; i-- {
			if err := env.started[i].shutdown(sctx); err != nil {
				t.Errorf("%s shutdown: %v", env.started[i].protocol, err)
			}
		}
	})
	return inst
}

// exampleArgs turns a printed "go run ./cmd/appwire ARGS    # comment"
// line into ARGS.
func exampleArgs(t *testing.T, line string) []string {
	t.Helper()
	cmd, _, _ := strings.Cut(line, "#")
	rest, ok := strings.CutPrefix(strings.TrimSpace(cmd), "go run ./cmd/appwire ")
	if !ok {
		t.Fatalf("not an appwire command: %q", line)
	}
	return strings.Fields(rest)
}

// runPrintedFlow runs the first two printed examples: the callee in the
// background, then the caller with the token the callee printed.
func runPrintedFlow(t *testing.T, inst *instance) {
	if len(inst.examples) < 2 {
		t.Fatalf("examples: %q", inst.examples)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	calleeArgs := append(exampleArgs(t, inst.examples[0]), "--count", "1")
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, calleeArgs, strings.NewReader(""), &out, &errb) }()
	var link string
	for link == "" {
		for _, line := range strings.Split(out.String(), "\n") {
			if v, ok := strings.CutPrefix(line, "call-url "); ok {
				link = v
			}
		}
		select {
		case code := <-done:
			t.Fatalf("callee ended early: exit %d\n%s\n%s", code, out.String(), errb.String())
		case <-time.After(5 * time.Millisecond):
		}
	}
	callerLine := strings.Replace(inst.examples[1], "CALL_URL", link, 1)
	code, cout, cerr := runCLI(t, "", exampleArgs(t, callerLine)...)
	if code != exitOK || !strings.Contains(cout, "state connected") {
		t.Fatalf("caller: exit %d\nstdout %s\nstderr %s\ncallee %s", code, cout, cerr, out.String())
	}
	select {
	case code := <-done:
		o := out.String()
		if code != exitOK || !strings.Contains(o, "woken version ") || !strings.Contains(o, "state alerting") || !strings.Contains(o, "state connected") {
			t.Fatalf("callee: exit %d\nstdout %s\nstderr %s", code, o, errb.String())
		}
	case <-ctx.Done():
		t.Fatalf("callee did not finish\n%s\n%s", out.String(), errb.String())
	}
}

func TestLoopServePrintedFlow(t *testing.T) {
	runPrintedFlow(t, startLoopServe(t, ""))
}

func TestLoopServePrintedFlowRedis(t *testing.T) {
	rs := redistest.Start(t, redistest.Options{})
	runPrintedFlow(t, startLoopServe(t, rs.URL()))
}

// TestLoopSteps runs the single-step subcommands: register, call-url,
// call --no-join, calls, join --accept and join.
func TestLoopSteps(t *testing.T) {
	inst := startLoopServe(t, "")
	code, out, errs := runCLI(t, "", "loop", "register", inst.url, "--push-url", "http://127.0.0.1:1/nowhere")
	session, ok := strings.CutPrefix(strings.TrimSpace(out), "session ")
	if code != exitOK || !ok || len(session) != 64 {
		t.Fatalf("register: exit %d %q %s", code, out, errs)
	}
	code, out, errs = runCLI(t, "", "loop", "call-url", inst.url, "--session", session, "--caller-id", "alice")
	if code != exitOK || !strings.HasPrefix(out, "token ") {
		t.Fatalf("call-url: exit %d %q %s", code, out, errs)
	}
	token := strings.Fields(out)[1]
	url := strings.Fields(strings.Split(out, "\n")[1])[1]
	code, out, errs = runCLI(t, "", "loop", "call", inst.url, url, "--no-join") // a whole call URL works too
	if code != exitOK || !strings.Contains(out, "join: appwire loop join ") {
		t.Fatalf("call: exit %d %q %s", code, out, errs)
	}
	callerJoin := joinArgs(out)
	code, out, errs = runCLI(t, "", "loop", "calls", inst.url, "--session", session)
	if code != exitOK || !strings.Contains(out, "1 call(s)") || !strings.Contains(out, `from "alice"`) {
		t.Fatalf("calls: exit %d %q %s", code, out, errs)
	}
	calleeJoin := joinArgs(out)
	done := make(chan string, 1)
	go func() {
		code, out, errs := runCLI(t, "", calleeJoin...)
		if code != exitOK {
			out += " exit " + errs
		}
		done <- out
	}()
	code, out, errs = runCLI(t, "", callerJoin...)
	if code != exitOK || !strings.Contains(out, "state connected") {
		t.Fatalf("caller join: exit %d %q %s", code, out, errs)
	}
	if o := <-done; !strings.Contains(o, "state connected") {
		t.Fatalf("callee join: %s", o)
	}
	// Refusals exit 1, usage errors 2.
	// A bare token works after "--" (tokens may start with '-').
	if code, _, errs := runCLI(t, "", "loop", "call", inst.url, "--no-join", "--", token); code != exitOK {
		t.Fatalf("call by token: exit %d %s", code, errs)
	}
	if code, _, errs := runCLI(t, "", "loop", "call", inst.url, "--", token+"x"); code != exitFailed || !strings.Contains(errs, "errno 105") {
		t.Fatalf("unknown token: exit %d %s", code, errs)
	}
	// A missing session is the user's mistake: exit 2 and say what to pass.
	t.Setenv(envLoopSession, "")
	for _, sub := range []string{"call-url", "calls"} {
		code, _, errs := runCLI(t, "", "loop", sub, inst.url)
		if code != exitUsage || !strings.HasPrefix(errs, "appwire: loop "+sub+": no session: pass --session") {
			t.Fatalf("%s without a session: exit %d %q", sub, code, errs)
		}
	}
	for _, tc := range []struct {
		args []string
		msg  string // the first line of stderr starts with it
	}{
		{[]string{"loop"}, "usage: "},
		{[]string{"loop", "frob"}, `appwire: loop: unknown subcommand "frob"`},
		{[]string{"loop", "call", inst.url}, "appwire: loop call: want 2 argument(s), got 1"},
		{[]string{"loop", "callee", inst.url}, "appwire: loop callee: "},
	} {
		code, _, errs := runCLI(t, "", tc.args...)
		if code != exitUsage || !strings.HasPrefix(errs, tc.msg) {
			t.Fatalf("%q: exit %d, want %d, stderr %q", tc.args, code, exitUsage, errs)
		}
	}
}

// joinArgs takes the arguments of the first "join: appwire ..." line.
func joinArgs(out string) []string {
	for _, line := range strings.Split(out, "\n") {
		if rest, ok := strings.CutPrefix(line, "join: appwire "); ok {
			return strings.Fields(rest)
		}
	}
	return nil
}

// CALL_URL in a printed line is the call URL of a live callee: "loop
// callee" running in this process until the line's test ends, so the
// caller's line can reach connected.
func init() {
	linePlaceholders["CALL_URL"] = func(t *testing.T, e *lineEnv) string {
		return liveCallee(t, e.srv.urls["loop"], e.srv.urls["simplepush"])
	}
}

func liveCallee(t *testing.T, loopURL, pushURL string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"loop", "callee", loopURL, "--push", pushURL, "--count", "1"}, strings.NewReader(""), &out, &errb)
	}()
	t.Cleanup(func() { cancel(); <-done })
	deadline := time.After(20 * time.Second)
	for {
		for _, line := range strings.Split(out.String(), "\n") {
			if v, ok := strings.CutPrefix(line, "call-url "); ok {
				return v
			}
		}
		select {
		case code := <-done:
			t.Fatalf("loop callee ended early: exit %d\n%s\n%s", code, out.String(), errb.String())
		case <-deadline:
			t.Fatalf("loop callee printed no call-url\n%s\n%s", out.String(), errb.String())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// The conform line serve prints passes and runs every case the printed
// parameters are for: the replay case is SHOULD-level, so the line must
// carry --strict for its --replay-check to mean anything.
func TestLoopServePrintedConform(t *testing.T) {
	inst := startLoopServe(t, "")
	line := ""
	for _, ex := range inst.examples {
		if strings.Contains(ex, " conform loop ") {
			line = ex
		}
	}
	if line == "" {
		t.Fatalf("no conform line in %q", inst.examples)
	}
	code, out, errs := runCLI(t, "", exampleArgs(t, line)...)
	if code != exitOK {
		t.Fatalf("%s: exit %d\n%s\n%s", line, code, out, errs)
	}
	for _, id := range []string{"loop/3.5/1", "loop/4.13/1"} {
		if !strings.Contains(out, "PASS  "+id+" ") {
			t.Errorf("%s did not pass %s:\n%s", line, id, out)
		}
	}
}
