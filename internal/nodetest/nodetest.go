// Package nodetest runs small Node.js scripts against the npm packages that
// .ci/run installs under .ci/node (the real upstream libraries, such as
// hawk and jsrsasign), for cross-implementation tests.
//
//	node := nodetest.Require(t, "hawk")
//	out := node.Run(t, script, stdinJSON)
//
// When node or a package is missing the test is skipped with a message
// saying how to install it, unless the environment variable CI is set:
// .ci/run installs them, so there the test fails instead.
package nodetest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// runTimeout bounds one script run.
const runTimeout = 30 * time.Second

// Node is a node binary with NODE_PATH set to the project's npm packages.
type Node struct {
	bin     string
	modules string
}

// ModulesDir is where the npm packages are installed: $APPWIRE_NODE_MODULES,
// or .ci/node/node_modules at the repository root.
func ModulesDir() string {
	if d := os.Getenv("APPWIRE_NODE_MODULES"); d != "" {
		return d
	}
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", ".ci", "node", "node_modules")
}

// Require returns a Node that can load every named package, or skips t
// (fails it under CI) when node or one of the packages is missing.
func Require(t testing.TB, packages ...string) *Node {
	t.Helper()
	fail := func(msg string) {
		t.Helper()
		msg = "nodetest: " + msg + " (.ci/run installs it: apt-get install nodejs npm; npm ci --prefix .ci/node)"
		if os.Getenv("CI") != "" {
			t.Fatal(msg + "; CI is set, so this is a failure")
		}
		t.Skip(msg)
	}
	bin, err := exec.LookPath("node")
	if err != nil {
		fail("node not installed")
	}
	dir := ModulesDir()
	for _, p := range packages {
		if _, err := os.Stat(filepath.Join(dir, p, "package.json")); err != nil {
			fail("npm package " + p + " not found under " + dir)
		}
	}
	return &Node{bin: bin, modules: dir}
}

// Run runs script (JavaScript source) with stdin as its standard input and
// returns its standard output; a non-zero exit fails t with stderr.
func (n *Node) Run(t testing.TB, script string, stdin []byte) []byte {
	t.Helper()
	out, stderr, err := n.run(script, stdin)
	if err != nil {
		t.Fatalf("node: %v\nstderr:\n%s", err, stderr)
	}
	return out
}

// RunErr is Run returning the error (with stderr) instead of failing t.
func (n *Node) RunErr(script string, stdin []byte) (stdout, stderr []byte, err error) {
	return n.run(script, stdin)
}

func (n *Node) run(script string, stdin []byte) ([]byte, []byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, n.bin, "-e", script)
	cmd.Env = append(os.Environ(), "NODE_PATH="+n.modules)
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.Bytes(), errb.Bytes(), err
}
