package limpwire_test

import (
	"io"
	"net"
	"strings"
	"sync"
	"testing"
)

// cutProxy forwards TCP connections to a server and can cut them all,
// to drop clients without stopping the server.
type cutProxy struct {
	ln    net.Listener
	mu    sync.Mutex
	host  string // backend host:port
	conns []net.Conn
}

// retarget sends later connections to host (host:port).
func (p *cutProxy) retarget(host string) {
	p.mu.Lock()
	p.host = host
	p.mu.Unlock()
}

// newCutProxy proxies to the ws:// URL target and returns the proxy's URL.
func newCutProxy(t *testing.T, target string) (*cutProxy, string) {
	t.Helper()
	hostPath := strings.TrimPrefix(target, "ws://")
	host, path, _ := strings.Cut(hostPath, "/")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, host: host}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); p.cut(); wg.Wait() })
	wg.Go(func() {
		for {
			a, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			backend := p.host
			p.mu.Unlock()
			b, err := net.Dial("tcp", backend)
			if err != nil {
				a.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, a, b)
			p.mu.Unlock()
			wg.Go(func() { io.Copy(a, b); a.Close() })
			wg.Go(func() { io.Copy(b, a); b.Close() })
		}
	})
	return p, "ws://" + ln.Addr().String() + "/" + path
}

// cut closes every proxied connection.
func (p *cutProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}
