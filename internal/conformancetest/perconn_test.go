package conformancetest

import (
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
)

func TestStartPerConn(t *testing.T) {
	var stopped atomic.Int32
	t.Run("serve", func(t *testing.T) {
		addr := StartPerConn(t, func(n int) (http.Handler, func()) {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprintf(w, "node %d", n)
			}), func() { stopped.Add(1) }
		})
		for i := range 3 {
			// A fresh connection per request reaches a fresh handler.
			client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
			resp, err := client.Get("http://" + addr + "/")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if want := fmt.Sprintf("node %d", i); string(b) != want {
				t.Fatalf("got %q, want %q", b, want)
			}
		}
		// Requests on one kept-alive connection stay on its handler.
		client := &http.Client{}
		defer client.CloseIdleConnections()
		for range 2 {
			resp, err := client.Get("http://" + addr + "/")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(b) != "node 3" {
				t.Fatalf("got %q, want node 3", b)
			}
		}
	})
	if got := stopped.Load(); got != 4 {
		t.Fatalf("%d handlers stopped, want 4", got)
	}
}
