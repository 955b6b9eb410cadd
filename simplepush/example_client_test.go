package simplepush_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/appwire/appwire/simplepush"
)

// A user agent registers a channel, hands the endpoint to its app server,
// and reads notifications; the app server pushes with NotifyEndpoint.
func ExampleDial() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ua, err := simplepush.Dial(ctx, "ws://127.0.0.1:8080/", simplepush.ClientOptions{
		OnReset: func(r simplepush.Reset) { log.Printf("new endpoints: %v", r.Endpoints) },
	})
	if err != nil {
		log.Fatal(err)
	}
	defer ua.Close()
	endpoint, err := ua.Register(ctx, "") // a fresh channel ID
	if err != nil {
		log.Fatal(err)
	}
	// On the app server:
	status, err := simplepush.NotifyEndpoint(ctx, nil, endpoint, 1, "hello")
	fmt.Println(status, err)
	n := <-ua.Notifications() // acknowledged automatically
	fmt.Println(n.ChannelID != "", n.Version, n.Data)
}
