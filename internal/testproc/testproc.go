// Package testproc runs the test binary again as a child process, for
// tests that need several real server processes (nodes sharing one Redis
// or MongoDB) and want to kill one the hard way.
//
// The child runs one test function, the body of a node, which serves and
// announces its address on standard output:
//
//	func TestNodeProcess(t *testing.T) {
//		if os.Getenv("MY_NODE") == "" {
//			t.Skip("the body of a node process")
//		}
//		ln, _ := net.Listen("tcp", "127.0.0.1:0")
//		testproc.Announce(ln.Addr().String())
//		// serve on ln until SIGTERM, then os.Exit(0)
//	}
//
//	a := testproc.Start(t, "a", testproc.Options{Test: "TestNodeProcess", Env: []string{"MY_NODE=a"}})
//	// a.Addr is where node a listens; a.Kill() is a SIGKILL
package testproc

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// readyPrefix starts the line a node prints once it listens.
const readyPrefix = "TESTPROC-NODE-LISTENING "

// DefaultTimeout bounds a node's start when Options.Timeout is zero.
const DefaultTimeout = 15 * time.Second

// Announce prints, from inside a node, the line Start waits for.
func Announce(addr string) { fmt.Println(readyPrefix + addr) }

// Options says which test function is the body of the node.
type Options struct {
	Test    string        // the test function the child runs (-test.run=^Test$)
	Env     []string      // KEY=VALUE added to the child's environment
	Timeout time.Duration // bound on the start; 0 means DefaultTimeout
}

// Node is one running child process.
type Node struct {
	Name string
	Addr string // what the node announced
	cmd  *exec.Cmd
	done chan struct{} // closed once the process has exited

	mu     sync.Mutex
	stderr bytes.Buffer
}

// Start runs the node and waits until it announces its address. The
// node is killed when t ends, and its standard error is logged if t
// failed. The kernel kills it too if the test binary dies first (Linux).
func Start(t testing.TB, name string, o Options) *Node {
	t.Helper()
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	n := &Node{Name: name, done: make(chan struct{})}
	n.cmd = exec.Command(os.Args[0], "-test.run=^"+o.Test+"$", "-test.count=1")
	n.cmd.Env = append(os.Environ(), o.Env...)
	n.cmd.Stderr = (*stderrWriter)(n)
	SetPdeathsig(n.cmd)
	out, err := n.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), readyPrefix); ok {
				ready <- a
			}
		}
		_ = n.cmd.Wait()
		close(n.done)
	}()
	t.Cleanup(func() {
		n.Kill()
		if t.Failed() {
			t.Logf("node %s stderr:\n%s", name, n.Stderr())
		}
	})
	select {
	case n.Addr = <-ready:
	case <-n.done:
		t.Fatalf("node %s exited before listening: %s", name, n.Stderr())
	case <-time.After(o.Timeout):
		t.Fatalf("node %s did not start within %v", name, o.Timeout)
	}
	return n
}

// Kill ends the node with SIGKILL, like a crash, and waits for it.
func (n *Node) Kill() {
	_ = n.cmd.Process.Kill()
	<-n.done
}

// Stderr returns what the node wrote to its standard error so far.
func (n *Node) Stderr() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.stderr.String()
}

type stderrWriter Node

func (w *stderrWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stderr.Write(p)
}
