package envelope_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/appwire/appwire/httpipc/bhttp"
	"github.com/appwire/appwire/httpipc/envelope"
)

func Example() {
	req, _ := http.NewRequest("POST", "https://lms.example/xapi/statements", strings.NewReader(`{"verb":"completed"}`))
	req.Header.Set("Content-Type", "application/json")
	msg, err := envelope.AppendHTTPRequest(nil, req, envelope.Limits{})
	if err != nil {
		panic(err)
	}
	// msg travels as one message; the peer decodes it.
	got, err := envelope.DecodeHTTPRequest(msg, envelope.Limits{})
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(got.Body)
	fmt.Println(got.Method, got.Host, got.RequestURI, got.Header.Get("Content-Type"), string(body))
	// Output: POST lms.example /xapi/statements application/json {"verb":"completed"}
}

// The schema's example from the package doc.
func ExampleAppendRequest() {
	msg, _ := envelope.AppendRequest(nil, &bhttp.Request{Method: "GET", Scheme: "https", Authority: "example.com", Path: "/",
		Header: bhttp.Fields{{Name: "accept", Value: "*/*"}}})
	fmt.Printf("%d bytes: % x\n", len(msg), msg)
	// Output: 42 bytes: 98 01 a3 47 45 54 a5 68 74 74 70 73 ab 65 78 61 6d 70 6c 65 2e 63 6f 6d a1 2f 91 92 a6 61 63 63 65 70 74 a3 2a 2f 2a c4 00 90
}

func ExampleDecodeResponse() {
	msg, _ := envelope.AppendResponse(nil, &bhttp.Response{
		Informational: []bhttp.InfoResponse{{Status: 103, Header: bhttp.Fields{{Name: "link", Value: "</style.css>; rel=preload"}}}},
		Status:        200, Header: bhttp.Fields{{Name: "content-type", Value: "text/plain"}}, Body: []byte("hello")})
	r, err := envelope.DecodeResponse(msg, envelope.Limits{})
	if err != nil {
		panic(err)
	}
	fmt.Println(r.Informational[0].Status, r.Status, r.Header.Get("content-type"), string(r.Body))

	// A field value with CR LF is rejected, not re-parsed as a new header.
	_, err = envelope.AppendResponse(nil, &bhttp.Response{Status: 200, Header: bhttp.Fields{{Name: "x", Value: "a\r\nset-cookie: y"}}})
	fmt.Println(err)
	// Output:
	// 103 200 text/plain hello
	// envelope: header section field value "x": invalid field value
}
