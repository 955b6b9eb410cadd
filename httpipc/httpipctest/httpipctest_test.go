package httpipctest_test

import (
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/appwire/appwire/httpipc/httpipctest"
)

func TestNewClient(t *testing.T) {
	c := httpipctest.NewClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s", r.URL.Path)
	}))
	resp, err := c.Get("http://ipc.localhost/world")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "hello /world" {
		t.Fatalf("got %q", b)
	}
}
