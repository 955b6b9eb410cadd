package testproc

import (
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

const envNode = "TESTPROC_TEST_NODE"

// TestNodeProcess is the body of the node TestStartAndKill starts.
func TestNodeProcess(t *testing.T) {
	if os.Getenv(envNode) == "" {
		t.Skip("the body of a node process")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.Exit(1)
	}
	os.Stderr.WriteString("node " + os.Getenv(envNode) + " up\n")
	Announce(ln.Addr().String())
	for {
		c, err := ln.Accept()
		if err != nil {
			os.Exit(1)
		}
		_, _ = c.Write([]byte("hi"))
		c.Close()
	}
}

func TestStartAndKill(t *testing.T) {
	n := Start(t, "a", Options{Test: "TestNodeProcess", Env: []string{envNode + "=a"}})
	c, err := net.DialTimeout("tcp", n.Addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2)
	if _, err := c.Read(buf); err != nil || string(buf) != "hi" {
		t.Fatalf("read %q, %v", buf, err)
	}
	c.Close()
	if !strings.Contains(n.Stderr(), "node a up") {
		t.Fatalf("stderr %q", n.Stderr())
	}
	n.Kill()
	if _, err := net.DialTimeout("tcp", n.Addr, time.Second); err == nil {
		t.Fatal("the node still listens after Kill")
	}
}

func TestStartFailsWhenTheNodeDoesNotAnnounce(t *testing.T) {
	ft := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Start(ft, "b", Options{Test: "TestNoSuchFunction", Timeout: 10 * time.Second})
	}()
	<-done
	if !strings.Contains(ft.msg, "exited before listening") {
		t.Fatalf("Start of a node that never listens: %q", ft.msg)
	}
}

// fatalRecorder records Fatalf and ends the goroutine, as t.Fatalf would.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
