package ipcsuite

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/appwire/appwire/conformance"
)

// The target is one of
//
//	unix:///path/to.sock or /path/to.sock   a unix socket
//	tcp://host:port                          a TCP port
//	anything, with the command param set     a command whose stdin/stdout
//	                                         is the byte stream; each case
//	                                         starts its own process and
//	                                         kills it when the case ends
//
// Every case opens fresh connections.

// endpoint says how to reach the target.
type endpoint struct {
	network, addr string // "unix" or "tcp"
	command       string
}

func parseTarget(t *conformance.T) (endpoint, error) {
	if cmd := strings.TrimSpace(t.Param("command")); cmd != "" {
		return endpoint{command: cmd}, nil
	}
	raw := t.URL()
	switch {
	case strings.HasPrefix(raw, "/"):
		return endpoint{network: "unix", addr: raw}, nil
	case raw == "":
		return endpoint{}, errors.New("no target: give unix:///path/to.sock, tcp://host:port, or the command param")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return endpoint{}, fmt.Errorf("target %q: %v", raw, err)
	}
	switch u.Scheme {
	case "unix":
		p := u.Path
		if u.Host != "" { // unix://relative/path
			p = u.Host + u.Path
		}
		if p == "" {
			return endpoint{}, fmt.Errorf("target %q has no socket path", raw)
		}
		return endpoint{network: "unix", addr: p}, nil
	case "tcp":
		if u.Host == "" {
			return endpoint{}, fmt.Errorf("target %q has no host:port", raw)
		}
		return endpoint{network: "tcp", addr: u.Host}, nil
	}
	return endpoint{}, fmt.Errorf("target %q: want unix:///path/to.sock, a socket path, tcp://host:port, or the command param", raw)
}

// open connects to the target. An error means the target could not be
// reached (verdict Error).
func open(ctx context.Context, ep endpoint) (io.ReadWriteCloser, error) {
	if ep.command != "" {
		return startCommand(ctx, ep.command)
	}
	var d net.Dialer
	return d.DialContext(ctx, ep.network, ep.addr)
}

// process is a command target: its stdout is read, its stdin written.
type process struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	io.Reader
	once sync.Once
}

func startCommand(ctx context.Context, command string) (*process, error) {
	cmd := exec.Command("/bin/sh", "-c", command)
	setProcessGroup(cmd)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %q: %v", command, err)
	}
	return &process{cmd: cmd, stdin: stdin, Reader: stdout}, nil
}

func (p *process) Write(b []byte) (int, error) { return p.stdin.Write(b) }

// Close ends the process: stdin is closed, the process group killed, and
// the wait bounded by WaitDelay.
func (p *process) Close() error {
	p.once.Do(func() {
		p.stdin.Close()
		killProcessGroup(p.cmd)
		_ = p.cmd.Wait()
	})
	return nil
}
