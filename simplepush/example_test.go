package simplepush_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/appwire/appwire/simplepush"
)

// A server on loopback, a PUT to an endpoint nobody is connected to, and
// the wire layer encoding the hello a user agent sends.
func ExampleServer() {
	s, err := simplepush.NewServer(simplepush.Options{})
	if err != nil {
		panic(err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	defer func() { cancel(); <-done }()

	// A token for a channel that was never registered: 410 Gone.
	token, _ := s.Tokens().Seal(simplepush.NewUAID(), simplepush.NewChannelID())
	req, _ := http.NewRequest("PUT", "http://"+ln.Addr().String()+simplepush.DefaultEndpointPath+token, strings.NewReader("version=1"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, string(body))
	// Output: 410 {"status":410,"error":"Unknown or unregistered channel"}
}

func ExampleParseClientMessage() {
	m, err := simplepush.ParseClientMessage([]byte(`{"messageType":"HELLO","uaid":"","channelIDs":[]}`), simplepush.DialectPushgo)
	if err != nil {
		panic(err)
	}
	fmt.Println(m.Type, m.HasChannelIDs)
	reply := simplepush.ServerMessage{Type: simplepush.TypeHello, UAID: "fd52438f1c49459388c3ff47bc9b1c9c", Status: 200}
	fmt.Println(string(reply.Append(nil)))
	// Output:
	// hello true
	// {"messageType":"hello","uaid":"fd52438f1c49459388c3ff47bc9b1c9c","status":200}
}

func ExampleParseNotify() {
	n, err := simplepush.ParseNotify([]byte("version=7&data=hi"), "", 0)
	fmt.Println(n.Version, n.Data, err)
	_, err = simplepush.ParseNotify([]byte("version=-1"), "", 0)
	fmt.Println(err)
	// Output:
	// 7 hi <nil>
	// simplepush: Invalid update version: version is not a non-negative integer
}
