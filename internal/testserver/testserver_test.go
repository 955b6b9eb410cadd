package testserver

import (
	"context"
	"io"
	"net/http"
	"testing"
)

func TestServeAndCleanup(t *testing.T) {
	stopped := false
	var url string
	t.Run("inner", func(t *testing.T) {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
		url = Serve(t, h, func(context.Context) { stopped = true })
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != "ok" {
			t.Fatalf("body %q", body)
		}
		if Ctx(t).Err() != nil {
			t.Fatal("Ctx already done")
		}
	})
	if !stopped {
		t.Error("stop function not called at cleanup")
	}
	http.DefaultClient.CloseIdleConnections()
	if _, err := http.Get(url); err == nil {
		t.Error("server still answers after the test ended")
	}
}
