package main

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/appwire/appwire/internal/mongotest"
)

// startLIMP runs serveLIMP as "appwire serve" does and returns the
// instance.
func startLIMP(t *testing.T, cfg *limpServeConfig) *instance {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	in, err := serveLIMP(context.Background(), ln, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = in.shutdown(ctx)
	})
	return in
}

// examplesAsPrinted runs every "go run ./cmd/appwire ..." example of in
// through the CLI, splitting it as a shell would (single quotes only).
func examplesAsPrinted(t *testing.T, in *instance) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir) // the upload example names go.mod
	for _, ex := range in.examples {
		if !strings.HasPrefix(ex, "go run ./cmd/appwire ") {
			continue
		}
		args := shellSplit(strings.TrimPrefix(ex, "go run ./cmd/appwire "))
		code, out, errs := runCLI(t, "", args...)
		if code != exitOK {
			t.Errorf("%s\nexit %d\n%s%s", ex, code, out, errs)
		}
	}
}

func shellSplit(s string) []string {
	var out []string
	var cur strings.Builder
	quoted, have := false, false
	for _, r := range s {
		switch {
		case r == '\'':
			quoted, have = !quoted, true
		case r == ' ' && !quoted:
			if have {
				out = append(out, cur.String())
				cur.Reset()
				have = false
			}
		default:
			cur.WriteRune(r)
			have = true
		}
	}
	if have {
		out = append(out, cur.String())
	}
	return out
}

func TestLIMPServeExamplesWork(t *testing.T) {
	in := startLIMP(t, &limpServeConfig{})
	examplesAsPrinted(t, in)
}

func TestLIMPServeMongo(t *testing.T) {
	srv := mongotest.Start(t)
	a := startLIMP(t, &limpServeConfig{mongoURI: srv.URI(), mongoDB: srv.Database(), password: "pw1"})
	examplesAsPrinted(t, a)
	// A second node on the same database knows the admin (with the
	// password it was started with) and the items the first created.
	b := startLIMP(t, &limpServeConfig{mongoURI: srv.URI(), mongoDB: srv.Database(), password: "pw1"})
	code, out, errs := runCLI(t, "", "limp", "call", b.url, "item/read", "--app", limpDemoApp, "--auth", "email:admin@limp.test", "--password", "pw1")
	if code != exitOK || !strings.Contains(out, `"name":"first"`) {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
}

func TestLIMPCall(t *testing.T) {
	in := startLIMP(t, &limpServeConfig{password: "secret"})
	u := in.url
	// Wrong password: the auth is refused before any call.
	code, _, errs := runCLI(t, "", "limp", "call", u, "user/read", "--app", limpDemoApp, "--auth", "email:admin@limp.test", "--password", "nope")
	if code != exitProblem || !strings.Contains(errs, "CORE_SESSION_INVALID_CREDS") {
		t.Errorf("wrong password: exit %d %s", code, errs)
	}
	// A URL that is not a WebSocket URL: exit 3, one line that says what to give.
	for _, bad := range []string{"not-a-url", "http://127.0.0.1:1/ws"} {
		code, _, errs = runCLI(t, "", "limp", "call", bad, "user/read")
		if code != exitProblem || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, "want a ws:// or wss:// URL") {
			t.Errorf("%s: exit %d %q", bad, code, errs)
		}
	}
	// An unknown app is refused at verify.
	code, _, errs = runCLI(t, "", "limp", "call", u, "heart/beat", "--app", "other")
	if code != exitProblem || !strings.Contains(errs, "CORE_REQ_NO_VERIFY") {
		t.Errorf("unknown app: exit %d %s", code, errs)
	}
	// A script: one JSON reply per line, exit 1 because one call failed.
	script := "# create two, read one\nitem/create [] {\"n\": 1}\nitem/create [] {\"n\": 2}\n\nitem/read [{\"n\": {\"$gt\": 1}}]\nuser/read\n"
	code, out, errs := runCLI(t, script, "limp", "call", u, "-", "--app", limpDemoApp)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != exitFailed || len(lines) != 4 {
		t.Fatalf("script: exit %d\n%s%s", code, out, errs)
	}
	var read struct {
		Status int
		Args   struct{ Count int }
	}
	if err := json.Unmarshal([]byte(lines[2]), &read); err != nil || read.Status != 200 || read.Args.Count != 1 {
		t.Errorf("read line %s", lines[2])
	}
	if !strings.Contains(lines[3], "CORE_SESSION_FORBIDDEN") {
		t.Errorf("anonymous user/read: %s", lines[3])
	}
	// Usage errors.
	for _, args := range [][]string{
		{"limp", "call", u},
		{"limp", "call", u, "x/y", "--query", "{}"},
		{"limp", "call", u, "x/y", "--auth", "nocolon"},
	} {
		if code, _, _ := runCLI(t, "", args...); code != exitUsage {
			t.Errorf("%v: exit %d, want usage", args, code)
		}
	}
	if code, _, errs := runCLI(t, "item/create [} \n", "limp", "call", u, "-"); code != exitUsage || !strings.Contains(errs, "line 1") {
		t.Errorf("bad script line: exit %d %s", code, errs)
	}
}

func TestLIMPUpload(t *testing.T) {
	in := startLIMP(t, &limpServeConfig{})
	f := filepath.Join(t.TempDir(), "data.bin")
	if err := os.WriteFile(f, make([]byte, 2500), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLI(t, "", "limp", "upload", in.url, "blob/create", f, "--app", limpDemoApp, "--chunk", "1000")
	if code != exitOK || !strings.Contains(out, `"size":2500`) || strings.Count(errs, "chunk ") != 3 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
}
