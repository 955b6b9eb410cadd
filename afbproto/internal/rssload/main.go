//go:build linux

// Command rssload measures the reference binder's resident memory: idle,
// right after a load (50 WebSocket connections x 2000 hello/ping calls and
// 10 HTTP clients x 500 calls, at the same time), 5 s later, and after a
// forced GC that returns freed pages to the OS (runtime.GC and
// debug.FreeOSMemory, asked for with SIGUSR1). The binder runs in a child
// process (this binary re-executed), so the load's own memory is not
// counted.
//
//	go run ./afbproto/internal/rssload
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/appwire/appwire/afbproto"
	"github.com/appwire/appwire/internal/wsconn"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "server" {
		server()
		return
	}
	if err := measure(); err != nil {
		fmt.Fprintln(os.Stderr, "rssload:", err)
		os.Exit(1)
	}
}

func server() {
	b, err := afbproto.NewBinder(afbproto.Options{Token: afbproto.FixedToken("HELLO")})
	if err != nil {
		panic(err)
	}
	b.AddAPI(afbproto.NewHelloAPI())
	b.AddAPI(afbproto.NewAuthAPI())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	fmt.Println(ln.Addr().String())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGUSR1)
	go func() {
		for range sig {
			runtime.GC()
			debug.FreeOSMemory()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			fmt.Fprintf(os.Stderr, "server: HeapInuse %d KiB, StackInuse %d KiB, goroutines %d\n",
				ms.HeapInuse>>10, ms.StackInuse>>10, runtime.NumGoroutine())
		}
	}()
	b.Serve(context.Background(), ln)
}

func rss(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}

func measure() error {
	cmd := exec.Command(os.Args[0], "server")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	var addr string
	if _, err := fmt.Fscanln(out, &addr); err != nil {
		return err
	}
	pid := cmd.Process.Pid
	time.Sleep(300 * time.Millisecond)
	fmt.Println("idle:", rss(pid))
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 60)
	start := time.Now()
	for w := 0; w < 50; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := wsconn.Dial(ctx, "ws://"+addr+"/api?token=HELLO", wsconn.DialOptions{Protocols: []string{afbproto.Subprotocol}})
			if err != nil {
				errs <- err
				return
			}
			defer c.CloseNow()
			var buf []byte
			for i := 0; i < 2000; i++ {
				if err := c.WriteText(ctx, []byte(`[2,"1","hello/ping",{"x":1}]`)); err != nil {
					errs <- err
					return
				}
				if _, buf, err = c.ReadMessage(ctx, buf[:0]); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for w := 0; w < 10; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				r, err := http.Get("http://" + addr + "/api/hello/ping?x=1")
				if err != nil {
					errs <- err
					return
				}
				io.Copy(io.Discard, r.Body)
				r.Body.Close()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		return err
	}
	fmt.Printf("after load (%v): %s\n", time.Since(start).Round(time.Millisecond), rss(pid))
	time.Sleep(5 * time.Second)
	fmt.Println("5 s later:", rss(pid))
	cmd.Process.Signal(syscall.SIGUSR1)
	time.Sleep(time.Second)
	fmt.Println("after GC + FreeOSMemory:", rss(pid))
	return nil
}
