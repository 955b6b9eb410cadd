// Package storetest checks a loopapi.Store implementation against the
// behaviour the server relies on: records, their expiry, the reference
// sets, the call-state set and its cardinality, pub/sub, and room
// participants. Run calls New for every subtest, so each starts empty.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/appwire/appwire/loopapi"
)

// Run runs the suite; newStore returns a fresh, empty store.
func Run(t *testing.T, newStore func(t *testing.T) loopapi.Store) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, s loopapi.Store)
	}{
		{"Sessions", testSessions},
		{"SessionExpiry", testSessionExpiry},
		{"PushURLs", testPushURLs},
		{"CallURLs", testCallURLs},
		{"CallURLExpiry", testCallURLExpiry},
		{"Calls", testCalls},
		{"CallStateCardinality", testCallState},
		{"ConnectDevice", testDevices},
		{"PubSub", testPubSub},
		{"Rooms", testRooms},
		{"RoomParticipants", testParticipants},
		{"RoomFullConcurrent", testRoomFullConcurrent},
		{"DeleteAccount", testDeleteAccount},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func notFound(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, loopapi.ErrNotFound) {
		t.Fatalf("%s: got %v, want ErrNotFound", what, err)
	}
}

// eventually polls cond for up to 5 s (expiry in Redis is not instant).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

const long = time.Hour

func testSessions(t *testing.T, s loopapi.Store) {
	c := ctx(t)
	_, err := s.Session(c, "id1")
	notFound(t, "unknown session", err)
	must(t, s.CreateSession(c, "id1", "key1", long))
	ses, err := s.Session(c, "id1")
	must(t, err)
	if ses.Key != "key1" || ses.User != "" || ses.Identity != "" || ses.TTL <= long-time.Minute || ses.TTL > long {
		t.Fatalf("anonymous session %+v", ses)
	}
	if k, err := s.SessionKey(c, "id1"); err != nil || k != "key1" {
		t.Fatalf("session key %q %v", k, err)
	}
	must(t, s.SetSessionUser(c, "id1", "user1", "sealed", long))
	ses, err = s.Session(c, "id1")
	must(t, err)
	if ses.Key != "key1" || ses.User != "user1" || ses.Identity != "sealed" {
		t.Fatalf("registered session %+v", ses)
	}
	must(t, s.SetPushURLs(c, "user1", "id1", map[string]string{"calls": "http://a"}, long))
	must(t, s.DeleteSession(c, "user1", "id1"))
	_, err = s.Session(c, "id1")
	notFound(t, "deleted session", err)
	_, err = s.SessionKey(c, "id1")
	notFound(t, "deleted session key", err)
	urls, err := s.PushURLs(c, "user1", "calls")
	must(t, err)
	if len(urls) != 0 {
		t.Fatalf("push urls after session deletion: %v", urls)
	}
}

func testSessionExpiry(t *testing.T, s loopapi.Store) {
	c := ctx(t)
	must(t, s.CreateSession(c, "short", "k", 300*time.Millisecond))
	must(t, s.CreateSession(c, "touched", "k", 300*time.Millisecond))
	must(t, s.TouchSession(c, "touched", "touched", long))
	eventually(t, "the session to expire", func() bool {
		_, err := s.Session(c, "short")
		return errors.Is(err, loopapi.ErrNotFound)
	})
	if ses, err := s.Session(c, "touched"); err != nil || ses.TTL <= long-time.Minute {
		t.Fatalf("touched session: %+v %v", ses, err)
	}
}

func testPushURLs(t *testing.T, s loopapi.Store) {
	c := ctx(t)
	must(t, s.SetPushURLs(c, "u", "dev1", map[string]string{"calls": "http://b/1", "rooms": "http://b/r"}, long))
	must(t, s.SetPushURLs(c, "u", "dev2", map[string]string{"calls": "http://a/2"}, long))
	must(t, s.SetPushURLs(c, "u", "dev3", map[string]string{"calls": "http://a/2"}, long)) // same URL: once
	got, err := s.PushURLs(c, "u", "calls")
	must(t, err)
	if want := []string{"http://a/2", "http://b/1"}; !slices.Equal(got, want) {
		t.Fatalf("calls urls %v, want %v", got, want)
	}
	// A new registration of the same session overwrites its own topic.
	must(t, s.SetPushURLs(c, "u", "dev1", map[string]string{"calls": "http://c/1"}, long))
	got, _ = s.PushURLs(c, "u", "calls")
	if want := []string{"http://a/2", "http://c/1"}; !slices.Equal(got, want) {
		t.Fatalf("after re-registration %v, want %v", got, want)
	}
	got, _ = s.PushURLs(c, "u", "rooms")
	if want := []string{"http://b/r"}; !slices.Equal(got, want) {
		t.Fatalf("rooms urls %v, want %v", got, want)
	}
	must(t, s.DeletePushURLs(c, "u", "dev2"))
	must(t, s.DeletePushURLs(c, "u", "dev3"))
	got, _ = s.PushURLs(c, "u", "calls")
	if want := []string{"http://c/1"}; !slices.Equal(got, want) {
		t.Fatalf("after deletion %v, want %v", got, want)
	}
	got, _ = s.PushURLs(c, "nobody", "calls")
	if len(got) != 0 {
		t.Fatalf("unknown user: %v", got)
	}
}

func testCallURLs(t *testing.T, s loopapi.Store) {
	c := ctx(t)
	now := time.Now().Unix()
	_, err := s.CallURL(c, "nope")
	notFound(t, "unknown call url", err)
	a := loopapi.CallURL{Token: "tokA", UserMac: "u", CallerID: "alice", Timestamp: now, Issuer: "Bob", Expires: now + 3600}
	b := loopapi.CallURL{Token: "tokB", UserMac: "u", CallerID: "carol", Timestamp: now + 1, Subject: "s", Expires: now + 7200}
	must(t, s.SetCallURL(c, a, long))
	must(t, s.SetCallURL(c, b, long))
	got, err := s.CallURL(c, "tokA")
	must(t, err)
	if got != a {
		t.Fatalf("call url %+v, want %+v", got, a)
	}
	list, err := s.CallURLs(c, "u")
	must(t, err)
	if len(list) != 2 || list[0] != a || list[1] != b {
		t.Fatalf("list %+v", list)
	}
	must(t, s.DeleteCallURL(c, "u", "tokA"))
	_, err = s.CallURL(c, "tokA")
	notFound(t, "deleted call url", err)
	list, _ = s.CallURLs(c, "u")
	if len(list) != 1 || list[0].Token != "tokB" {
		t.Fatalf("after deletion %+v", list)
	}
	// Setting an expiry in the past removes the record.
	b.Expires = now - 1
	must(t, s.SetCallURL(c, b, long))
	_, err = s.CallURL(c, "tokB")
	notFound(t, "call url expired by update", err)
}

func testCallURLExpiry(t *testing.T, s loopapi.Store) {
	c := ctx(t)
	now := time.Now()
	u := loopapi.CallURL{Token: "tokE", UserMac: "u", Timestamp: now.Unix(), Expires: now.Unix() + 1}
	must(t, s.SetCallURL(c, u, long))
	eventually(t, "the call url to expire", func() bool {
		_, err := s.CallURL(c, "tokE")
		return errors.Is(err, loopapi.ErrNotFound)
	})
	list, err := s.CallURLs(c, "u")
	must(t, err)
	if len(list) != 0 {
		t.Fatalf("expired call url still listed: %+v", list)
	}
}

func call(id string, ts int64) loopapi.Call {
	return loopapi.Call{CallID: id, CallType: "audio", CallState: "init", Timestamp: ts,
		APIKey: "k", SessionID: "sess", CalleeToken: "ct", WSCallerToken: "wr-" + id, WSCalleeToken: "we-" + id}
}

func testCalls(t *testing.T, s loopapi.Store) {
	c := ctx(t)
	_, err := s.Call(c, "nope")
	notFound(t, "unknown call", err)
	must(t, s.AddCall(c, "callee", call("c2", 200), long, long))
	must(t, s.AddCall(c, "callee", call("c1", 100), long, long))
	must(t, s.AddCall(c, "callee", call("short", 150), 300*time.Millisecond, long))
	got, err := s.Call(c, "c1")
	must(t, err)
	if got != call("c1", 100) {
		t.Fatalf("call %+v", got)
	}
	eventually(t, "the short call to expire", func() bool {
		_, err := s.Call(c, "short")
		return errors.Is(err, loopapi.ErrNotFound)
	})
	list, err := s.Calls(c, "callee")
	must(t, err)
	if len(list) != 2 || list[0].CallID != "c1" || list[1].CallID != "c2" {
		t.Fatalf("calls %+v, want c1 then c2", list)
	}
}

func testCallState(t *testing.T, s loopapi.Store) {
	c := ctx(t)
	must(t, s.AddCall(c, "callee", call("cs", 1), long, long))
	st, _, err := s.CallState(c, "cs")
	must(t, err)
	if st != loopapi.StateInit {
		t.Fatalf("new call state %s", st)
	}
	steps := []struct {
		marker string
		want   loopapi.CallState
	}{
		{loopapi.MarkInitCaller, loopapi.StateHalfInitiated},
		{loopapi.MarkInitCaller, loopapi.StateHalfInitiated}, // a repeat does not move the call
		{loopapi.MarkInitCallee, loopapi.StateAlerting},
		{loopapi.MarkConnecting, loopapi.StateConnecting},
		{loopapi.MarkConnectedCallee, loopapi.StateHalfConnected},
		{loopapi.MarkConnectedCallee, loopapi.StateHalfConnected},
		{loopapi.MarkConnectedCaller, loopapi.StateConnected},
	}
	for i, step := range steps {
		got, err := s.AddCallState(c, "cs", step.marker)
		must(t, err)
		if got != step.want {
			t.Fatalf("step %d (%s): %s, want %s", i, step.marker, got, step.want)
		}
	}
	must(t, s.TerminateCall(c, "cs", "closed"))
	st, reason, err := s.CallState(c, "cs")
	must(t, err)
	if st != loopapi.StateTerminated || reason != "closed" {
		t.Fatalf("after terminate: %s %q", st, reason)
	}
	// A late marker cannot resurrect a terminated call.
	st, err = s.AddCallState(c, "cs", loopapi.MarkInitCaller)
	must(t, err)
	if st != loopapi.StateTerminated {
		t.Fatalf("marker after terminate: %s", st)
	}
	st, _, _ = s.CallState(c, "unknown")
	if st != loopapi.StateTerminated {
		t.Fatalf("unknown call state %s", st)
	}
}

func testDevices(t *testing.T, s loopapi.Store) {
	c := ctx(t)
	for i, want := range []int64{1, 2, 1} {
		d := int64(1)
		if i == 2 {
			d = -1
		}
		n, err := s.ConnectDevice(c, "cd", loopapi.RoleCallee, d)
		must(t, err)
		if n != want {
			t.Fatalf("step %d: %d devices, want %d", i, n, want)
		}
	}
	n, err := s.ConnectDevice(c, "cd", loopapi.RoleCaller, 1)
	must(t, err)
	if n != 1 {
		t.Fatalf("caller devices %d", n)
	}
}

func testPubSub(t *testing.T, s loopapi.Store) {
	c := ctx(t)
	var mu sync.Mutex
	var a, b []string
	got := func(dst *[]string) func(string) {
		return func(m string) { mu.Lock(); *dst = append(*dst, m); mu.Unlock() }
	}
	cancelA, err := s.Subscribe(c, "chan1", got(&a))
	must(t, err)
	cancelB, err := s.Subscribe(c, "chan1", got(&b))
	must(t, err)
	defer cancelB()
	must(t, s.Publish(c, "chan1", "alerting"))
	must(t, s.Publish(c, "chan2", "other"))
	must(t, s.Publish(c, "chan1", "terminated:closed"))
	want := []string{"alerting", "terminated:closed"}
	eventually(t, "both subscribers to get both messages", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return slices.Equal(a, want) && slices.Equal(b, want)
	})
	cancelA()
	must(t, s.Publish(c, "chan1", "connected"))
	eventually(t, "the remaining subscriber", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(b) == 3
	})
	time.Sleep(50 * time.Millisecond)
	mu.Lock()
	if len(a) != 2 {
		mu.Unlock()
		t.Fatalf("cancelled subscriber got %v", a)
	}
	mu.Unlock()
	// The last subscriber leaves and a new one comes at once: the new one
	// gets what is published after its Subscribe returned.
	cancelB()
	var d []string
	cancelD, err := s.Subscribe(c, "chan1", got(&d))
	must(t, err)
	defer cancelD()
	must(t, s.Publish(c, "chan1", "after"))
	eventually(t, "the resubscribed channel", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return slices.Equal(d, []string{"after"})
	})
}

func testRooms(t *testing.T, s loopapi.Store) {
	c := ctx(t)
	now := time.Now()
	r1 := loopapi.Room{Token: "room1", Name: "one", Owner: "Alice", OwnerMac: "u", MaxSize: 5,
		ExpiresAt: now.Unix() + 3600, CreationTime: now.Unix(), UpdateTime: now.Unix(), SessionID: "s1", APIKey: "k"}
	r2 := r1
	r2.Token, r2.Name, r2.CreationTime = "room2", "two", now.Unix()+1
	r2.Context = &loopapi.RoomContext{Value: "v", Alg: "AES-GCM", WrappedKey: "w"}
	must(t, s.SetRoom(c, r1, long))
	must(t, s.SetRoom(c, r2, long))
	got, err := s.Room(c, "room2")
	must(t, err)
	if got.Name != "two" || got.Context == nil || *got.Context != *r2.Context {
		t.Fatalf("room %+v", got)
	}
	list, err := s.Rooms(c, "u")
	must(t, err)
	if len(list) != 2 || list[0].Token != "room1" || list[1].Token != "room2" {
		t.Fatalf("rooms %+v", list)
	}
	must(t, s.DeleteRoom(c, "u", "room1", now, long))
	_, err = s.Room(c, "room1")
	notFound(t, "deleted room", err)
	del, err := s.DeletedRooms(c, "u", now.Unix())
	must(t, err)
	if del["room1"] != now.Unix() || len(del) != 1 {
		t.Fatalf("deleted rooms %v", del)
	}
	del, _ = s.DeletedRooms(c, "u", now.Unix()+1)
	if len(del) != 0 {
		t.Fatalf("deleted rooms since later: %v", del)
	}
}

func testParticipants(t *testing.T, s loopapi.Store) {
	c := ctx(t)
	now := time.Now().UnixMilli()
	p := func(id string, joined, ttlMs int64) loopapi.Participant {
		return loopapi.Participant{ID: id, ConnectionID: "conn-" + id, DisplayName: id, ClientMaxSize: 5,
			JoinedAt: joined, ExpiresAt: now + ttlMs}
	}
	must(t, s.JoinRoom(c, "r", p("a", now, 60000), 2))
	must(t, s.JoinRoom(c, "r", p("b", now+1, 60000), 2))
	if err := s.JoinRoom(c, "r", p("c", now+2, 60000), 2); !errors.Is(err, loopapi.ErrRoomFull) {
		t.Fatalf("third participant of 2: %v", err)
	}
	must(t, s.JoinRoom(c, "r", p("a", now, 120000), 2)) // refresh of a member is not a new one
	list, err := s.Participants(c, "r")
	must(t, err)
	if len(list) != 2 || list[0].ID != "a" || list[1].ID != "b" || list[0].ExpiresAt != now+120000 {
		t.Fatalf("participants %+v", list)
	}
	must(t, s.LeaveRoom(c, "r", "a"))
	must(t, s.JoinRoom(c, "r", p("short", now+3, 300), 2))
	eventually(t, "the participant to expire", func() bool {
		l, err := s.Participants(c, "r")
		return err == nil && len(l) == 1 && l[0].ID == "b"
	})
	must(t, s.SetParticipantToken(c, "r", "hm", "pid", long))
	id, err := s.ParticipantToken(c, "r", "hm")
	must(t, err)
	if id != "pid" {
		t.Fatalf("participant token id %q", id)
	}
	_, err = s.ParticipantToken(c, "r", "other")
	notFound(t, "unknown participant token", err)
}

func testRoomFullConcurrent(t *testing.T, s loopapi.Store) {
	c := ctx(t)
	now := time.Now().UnixMilli()
	var wg sync.WaitGroup
	var mu sync.Mutex
	joined := 0
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.JoinRoom(c, "rc", loopapi.Participant{ID: fmt.Sprint("p", i), JoinedAt: now, ExpiresAt: now + 60000}, 3)
			if err == nil {
				mu.Lock()
				joined++
				mu.Unlock()
			} else if !errors.Is(err, loopapi.ErrRoomFull) {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if joined != 3 {
		t.Fatalf("%d joined a room of 3", joined)
	}
}

func testDeleteAccount(t *testing.T, s loopapi.Store) {
	c := ctx(t)
	now := time.Now().Unix()
	must(t, s.CreateSession(c, "sid", "k", long))
	must(t, s.SetPushURLs(c, "u", "sid", map[string]string{"calls": "http://x"}, long))
	must(t, s.SetPushURLs(c, "u", "other", map[string]string{"calls": "http://y"}, long))
	must(t, s.SetCallURL(c, loopapi.CallURL{Token: "t", UserMac: "u", Timestamp: now, Expires: now + 60}, long))
	must(t, s.AddCall(c, "u", call("cx", now), long, long))
	must(t, s.DeleteAccount(c, "u", "sid"))
	_, err := s.Session(c, "sid")
	notFound(t, "session after account deletion", err)
	_, err = s.CallURL(c, "t")
	notFound(t, "call url after account deletion", err)
	_, err = s.Call(c, "cx")
	notFound(t, "call after account deletion", err)
	urls, _ := s.PushURLs(c, "u", "calls")
	if len(urls) != 0 {
		t.Fatalf("push urls after account deletion: %v", urls)
	}
}
