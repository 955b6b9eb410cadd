package simplepush

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"
)

// TestPushgoClientAwaitsEveryVersion is pushgo's own smoke test
// (client.DoTest) in miniature: three channels, versions 1..50 PUT
// concurrently on each, and a user agent that waits until it has seen
// every one of the 150 versions it PUT. pushgo forwards every PUT to a
// connected socket, so under the pushgo dialect all 150 must arrive.
func TestPushgoClientAwaitsEveryVersion(t *testing.T) {
	ts := startServer(t, Options{Dialect: DialectPushgo})
	c := ts.dial(t)
	c.hello("")
	const channels, versions = 3, 50
	var chids, eps []string
	for range channels {
		chid := NewChannelID()
		chids = append(chids, chid)
		eps = append(eps, c.register(chid))
	}
	want := map[string]bool{}
	for _, chid := range chids {
		for v := 1; v <= versions; v++ {
			want[fmt.Sprintf("%s/%d", chid, v)] = true
		}
	}

	// The user agent reads and acks every notification until it has
	// everything (or the deadline passes).
	seen := make(chan map[string]bool, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	go func() {
		got := map[string]bool{}
		defer func() { seen <- got }()
		for len(got) < len(want) {
			_, b, err := c.c.ReadMessage(ctx, nil)
			if err != nil {
				return
			}
			m, err := ParseServerMessage(b)
			if err != nil || m.Type != TypeNotification {
				continue
			}
			for _, u := range m.Updates {
				got[fmt.Sprintf("%s/%d", u.ChannelID, u.Version)] = true
			}
			ack := ClientMessage{Type: TypeAck, Updates: m.Updates, HasUpdates: true}
			if c.c.WriteText(ctx, ack.Append(nil)) != nil {
				return
			}
		}
	}()

	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	statuses := make(chan int, channels*versions)
	for i := range chids {
		for v := 1; v <= versions; v++ {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				statuses <- put(t, "PUT", eps[i], form, url.Values{"version": {fmt.Sprint(v)}}.Encode())
			}()
		}
	}
	wg.Wait()
	close(statuses)
	for st := range statuses {
		if st != 200 {
			t.Errorf("PUT to a connected user agent: %d, want 200", st)
		}
	}
	got := <-seen
	if len(got) != len(want) {
		missing := 0
		for k := range want {
			if !got[k] {
				missing++
			}
		}
		t.Fatalf("the user agent saw %d of %d versions (%d missing)", len(got), len(want), missing)
	}
}

// TestPushgoSkipsEmptyMessages: pushgo ignores an empty text message and
// keeps serving, before and after hello.
func TestPushgoSkipsEmptyMessages(t *testing.T) {
	ts := startServer(t, Options{Dialect: DialectPushgo})
	c := ts.dial(t)
	c.send(``)
	c.send(" \n")
	c.quiet()
	c.hello("")
	c.send(``)
	c.register(NewChannelID())
}

// TestAutopushClosesWithoutReply: autopush answers a message it cannot
// place with a close and no reply (sendClose): before hello anything but
// hello, after hello an unknown or missing messageType.
func TestAutopushClosesWithoutReply(t *testing.T) {
	ap := startServer(t, Options{Dialect: DialectAutopush})
	for _, tc := range []struct {
		name, msg string
		hello     bool
	}{
		{"register before hello", `{"messageType":"register","channelID":"` + NewChannelID() + `"}`, false},
		{"HELLO in upper case", `{"messageType":"HELLO","uaid":"","channelIDs":[]}`, false},
		{"messageType a number", `{"messageType":5}`, false},
		{"unknown type after hello", `{"messageType":"subscribe"}`, true},
		{"missing type after hello", `{"uaid":"x"}`, true},
		{"messageType null after hello", `{"messageType":null}`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ap.dial(t)
			if tc.hello {
				c.hello("")
			}
			c.send(tc.msg)
			c.closed() // fails on any message before the close
		})
	}
	// An empty message is not JSON: autopush closes on it too.
	c := ap.dial(t)
	c.hello("")
	c.send(``)
	c.closed()
}
