package mobile_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/appwire/appwire/httpipc"
	"github.com/appwire/appwire/httpipc/mobile"
)

// pipeSender is the platform's Sender, here one end of an in-memory
// message channel.
type pipeSender struct{ mc httpipc.MessageConn }

func (p pipeSender) Send(msg []byte) error { return p.mc.Send(context.Background(), msg) }

// pump is the platform's receive loop: each message from mc goes to
// receive.
func pump(mc httpipc.MessageConn, receive func([]byte) error, wg *sync.WaitGroup) {
	defer wg.Done()
	for {
		msg, err := mc.Recv(context.Background())
		if err != nil {
			return
		}
		if receive(msg) != nil {
			return
		}
	}
}

// rig connects a facade Client to a facade Server serving h over
// httpipc.NewMemPipe, as Binder or XPC would.
func rig(t *testing.T, h http.Handler, maxMsg int) *mobile.Client {
	t.Helper()
	a, b := httpipc.NewMemPipe(maxMsg)
	srv := mobile.NewServerFrom(&httpipc.Server{Handler: h, ErrorLog: log.New(io.Discard, "", 0)}, pipeSender{b}, maxMsg)
	cl := mobile.NewClient(pipeSender{a}, maxMsg)
	var wg sync.WaitGroup
	wg.Add(2)
	go pump(b, srv.Receive, &wg)
	go pump(a, cl.Receive, &wg)
	t.Cleanup(func() {
		cl.Close()
		srv.Close()
		a.Close()
		wg.Wait()
	})
	return cl
}

func handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Method", r.Method)
		w.Header().Set("X-Host", r.Host)
		w.Header().Set("X-Token", r.Header.Get("Authorization"))
		w.Header().Set("Trailer", "X-Done")
		w.Write(b)
		w.Header().Set("X-Done", "yes")
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Repeat("0123456789abcdef", 64<<10))) // 1 MiB: many messages
	})
	return mux
}

func TestFacadeEndToEnd(t *testing.T) {
	cl := rig(t, handler(), 16<<10)
	resp, err := cl.Do("POST", "/echo", "Authorization: Bearer t0k\r\nContent-Type: text/plain\n", []byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status() != 200 || string(resp.Body()) != "hello" || resp.Header("X-Method") != "POST" ||
		resp.Header("X-Token") != "Bearer t0k" || resp.Header("X-Host") != httpipc.DefaultHost || resp.Trailer("X-Done") != "yes" {
		t.Errorf("got %d %q, header:\n%s", resp.Status(), resp.Body(), resp.HeaderLines())
	}
	if !strings.Contains(resp.HeaderLines(), "X-Method: POST\n") {
		t.Errorf("HeaderLines:\n%s", resp.HeaderLines())
	}
	resp, err = cl.Do("GET", "http://api.example/echo", "Host: other.example", nil)
	if err != nil || resp.Header("X-Host") != "other.example" || resp.Header("X-Method") != "GET" {
		t.Errorf("Host header: %v %v", err, resp)
	}
	resp, err = cl.Do("GET", "/nope", "", nil)
	if err != nil || resp.Status() != 404 {
		t.Errorf("404: %v %v", err, resp)
	}
}

// Concurrent requests are streams of one connection, and large bodies
// are cut into messages of at most the message size.
func TestFacadeConcurrentAndLarge(t *testing.T) {
	cl := rig(t, handler(), 4<<10)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				resp, err := cl.Do("GET", "/big", "", nil)
				if err != nil || len(resp.Body()) != 1<<20 {
					t.Errorf("big: %v", err)
				}
				return
			}
			body := fmt.Sprint("request ", i)
			resp, err := cl.Do("PUT", "/echo", "", []byte(body))
			if err != nil || string(resp.Body()) != body {
				t.Errorf("echo %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	cl.SetMaxResponseBytes(1000)
	if _, err := cl.Do("GET", "/big", "", nil); !errors.Is(err, mobile.ErrResponseTooLarge) {
		t.Errorf("over SetMaxResponseBytes: %v", err)
	}
}

func TestFacadeErrors(t *testing.T) {
	release := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/hang", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	cl := rig(t, mux, mobile.DefaultMaxMessageSize)
	if _, err := cl.Do("GET", "/", "no colon here", nil); err == nil {
		t.Error("malformed header line accepted")
	}
	cl.SetTimeout(50)
	if _, err := cl.Do("GET", "/hang", "", nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("timeout: %v", err)
	}
	cl.SetTimeout(0)
	cl.Close()
	if _, err := cl.Do("GET", "/", "", nil); err == nil {
		t.Error("Do after Close succeeded")
	}
	if err := cl.Receive([]byte{0}); !errors.Is(err, mobile.ErrClosed) {
		t.Errorf("Receive after Close: %v", err)
	}
}
