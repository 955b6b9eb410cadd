package bhttp_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/appwire/appwire/httpipc/bhttp"
)

func ExampleDecodeRequest() {
	// RFC 9292 Figure 8.
	msg, _ := hex.DecodeString("0003474554056874747073000a2f68656c6c6f2e747874406c0a757365722d6167656e74346375726c2f372e31362e33206c69626375726c2f372e31362e33204f70656e53534c2f302e392e376c207a6c69622f312e322e3304686f73740f7777772e6578616d706c652e636f6d0f6163636570742d6c616e677561676506656e2c206d690000")
	r, err := bhttp.DecodeRequest(msg, bhttp.Limits{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Method, r.Scheme, r.Path, r.Header.Get("Host"))
	again, _ := bhttp.AppendRequest(nil, r)
	fmt.Println(bytes.Equal(again, msg))
	// Output:
	// GET https /hello.txt www.example.com
	// true
}

func ExampleAppendResponse() {
	b, err := bhttp.AppendResponse(nil, &bhttp.Response{
		Status:  200,
		Body:    []byte("This content contains CRLF.\r\n"),
		Trailer: bhttp.Fields{{Name: "trailer", Value: "text"}},
	})
	fmt.Printf("%x %v\n", b, err)
	// Output: 0140c8001d5468697320636f6e74656e7420636f6e7461696e732043524c462e0d0a0d07747261696c65720474657874 <nil>
}

func ExampleNewRequestReader() {
	var msg bytes.Buffer
	w := bhttp.NewWriter(&msg)
	w.WriteRequestHead(&bhttp.Request{Method: "POST", Scheme: "https", Authority: "example.com", Path: "/upload"})
	io.WriteString(w, "part one, ")
	io.WriteString(w, "part two")
	w.CloseWithTrailer(bhttp.Fields{{Name: "x-checksum", Value: "42"}})

	rr := bhttp.NewRequestReader(&msg, bhttp.Limits{})
	head, _ := rr.Head() // available before the body is read
	fmt.Println(head.Method, head.Authority, head.Path)
	body, _ := io.ReadAll(rr)
	fmt.Printf("%s\n", body)
	trailer, _ := rr.Trailer()
	fmt.Println(trailer.Get("x-checksum"))
	// Output:
	// POST example.com /upload
	// part one, part two
	// 42
}

func ExampleError() {
	// A field value with a line feed: rejected, never split into headers.
	msg := append([]byte{0x01, 0x40, 0xc8, 0x17, 0x03}, "x-a\x12ok\nx-injected: yes"...)
	_, err := bhttp.DecodeResponse(msg, bhttp.Limits{})
	var e *bhttp.Error
	fmt.Println(errors.Is(err, bhttp.ErrFieldValue), errors.As(err, &e) && e.Offset == 9)
	fmt.Println(err)
	// Output:
	// true true
	// bhttp: header section field value "x-a": invalid field value at offset 9
}
