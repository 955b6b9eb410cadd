package h1_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/appwire/appwire/httpipc/bhttp"
	"github.com/appwire/appwire/httpipc/h1"
)

func ExampleAppendRequest() {
	msg, err := h1.AppendRequest(nil, &bhttp.Request{Method: "POST", Scheme: "http", Authority: "localhost", Path: "/xapi/statements",
		Header: bhttp.Fields{{Name: "content-type", Value: "application/json"}}, Body: []byte(`{}`)})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%q\n", msg)
	// Output: "POST /xapi/statements HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
}

func ExampleDecodeHTTPRequest() {
	msg := []byte("GET /ims/oneroster/v1p1/users?limit=1 HTTP/1.1\r\nHost: lms.example\r\nAccept: application/json\r\n\r\n")
	req, err := h1.DecodeHTTPRequest(msg, h1.Limits{})
	if err != nil {
		panic(err)
	}
	fmt.Println(req.Method, req.Host, req.RequestURI, req.Header.Get("Accept"))
	// Output: GET lms.example /ims/oneroster/v1p1/users?limit=1 application/json
}

// A smuggling attempt: two framings for one body.
func ExampleDecodeRequest_smuggling() {
	msg := []byte("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
	_, err := h1.DecodeRequest(msg, h1.Limits{})
	fmt.Println(errors.Is(err, h1.ErrTEAndCL), err)
	// Output: true h1: header section: both transfer-encoding and content-length at offset 0
}

func ExampleDecodeHTTPResponse() {
	msg := []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
	resp, err := h1.DecodeHTTPResponse(msg, "GET", h1.Limits{})
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, resp.Header.Get("Content-Type"), string(body))
	// Output: 200 text/plain hello
}

// memConn is a minimal in-memory httpipc.MessageConn for the example (no
// Close handling; see the httpipc package for a complete pipe).
type memConn struct{ in, out chan []byte }

func (c memConn) Send(ctx context.Context, m []byte) error {
	select {
	case c.out <- append([]byte(nil), m...):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c memConn) Recv(ctx context.Context) ([]byte, error) {
	select {
	case m := <-c.in:
		return m, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (memConn) MaxMessageSize() int { return 64 << 10 }
func (memConn) Close() error        { return nil }

// A client and a server over one message channel, the UstadMobile way but
// with timeouts that cannot mis-pair replies and panics that leak nothing.
func ExampleRoundTripper() {
	a, b := make(chan []byte, 1), make(chan []byte, 1)
	clientConn, serverConn := memConn{in: b, out: a}, memConn{in: a, out: b}

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go h1.ServeMessages(ctx, serverConn, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/boom" {
			panic("database password is hunter2")
		}
		fmt.Fprintf(w, "hello from %s", r.Host)
	}))

	client := &http.Client{Transport: &h1.RoundTripper{Conn: clientConn}}
	for _, url := range []string{"http://lms.example/", "http://lms.example/boom"} {
		resp, err := client.Get(url)
		if err != nil {
			panic(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Printf("%d %q\n", resp.StatusCode, body)
	}
	// Output:
	// 200 "hello from lms.example"
	// 500 ""
}
