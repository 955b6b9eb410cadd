package redisstore_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/appwire/appwire/internal/redistest"
	"github.com/appwire/appwire/loopapi"
	"github.com/appwire/appwire/loopapi/redisstore"
	"github.com/appwire/appwire/loopapi/storetest"
)

func TestStore(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	rdb := srv.Client(t)
	var n atomic.Int64
	storetest.Run(t, func(t *testing.T) loopapi.Store {
		s, err := redisstore.New(rdb, redisstore.Options{Prefix: fmt.Sprintf("t%d:", n.Add(1))})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}

// TestKeys checks the upstream key layout that other nodes (and upstream
// tools) read.
func TestKeys(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	rdb := srv.Client(t)
	s, err := redisstore.New(rdb, redisstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	now := time.Now().Unix()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.CreateSession(ctx, "hid", "key", 30*24*time.Hour))
	must(s.SetPushURLs(ctx, "user", "hid", map[string]string{"calls": "http://sp/1"}, time.Hour))
	must(s.SetCallURL(ctx, loopapi.CallURL{Token: "tok", UserMac: "user", Timestamp: now, Expires: now + 100}, time.Hour))
	must(s.AddCall(ctx, "user", loopapi.Call{CallID: "cid", Timestamp: now}, time.Minute, time.Hour))
	checks := []struct{ cmd, key, want string }{
		{"GET", "hawk.hid", "key"},
		{"TYPE", "spurls.user", "set"},
		{"HGET", "spurls.user.hid", "http://sp/1"},
		{"TYPE", "callurl.tok", "string"},
		{"SISMEMBER", "userUrls.user", "1"},
		{"TYPE", "call.cid", "string"},
		{"SISMEMBER", "userCalls.user", "1"},
		{"SCARD", "callstate.cid", "1"},
	}
	for _, c := range checks {
		args := []any{c.cmd, c.key}
		switch c.cmd {
		case "HGET":
			args = append(args, "calls")
		case "SISMEMBER":
			if c.key == "userUrls.user" {
				args = append(args, "callurl.tok")
			} else {
				args = append(args, "call.cid")
			}
		}
		v, err := rdb.Do(ctx, args...).Result()
		if err != nil || fmt.Sprint(v) != c.want {
			t.Errorf("%s %s = %v (%v), want %s", c.cmd, c.key, v, err, c.want)
		}
	}
	ttl, _ := rdb.TTL(ctx, "callurl.tok").Result()
	if ttl <= 90*time.Second || ttl > 100*time.Second {
		t.Errorf("callurl TTL %v, want about 100 s", ttl)
	}
	ttl, _ = rdb.TTL(ctx, "callstate.cid").Result()
	if ttl <= 50*time.Second || ttl > time.Minute {
		t.Errorf("callstate TTL %v, want the call's", ttl)
	}
}

// TestNonceAcrossNodes: a Hawk header replayed to another server sharing
// the Redis is refused.
func TestNonceAcrossNodes(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	rdb := srv.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, _ := redisstore.New(rdb, redisstore.Options{})
	b, _ := redisstore.New(rdb, redisstore.Options{})
	if fresh, err := a.Add(ctx, "id", "1", "n", time.Minute); !fresh || err != nil {
		t.Fatalf("first use: %v %v", fresh, err)
	}
	if fresh, err := b.Add(ctx, "id", "1", "n", time.Minute); fresh || err != nil {
		t.Fatalf("replay on another node: %v %v", fresh, err)
	}
	if fresh, _ := b.Add(ctx, "id", "1", "m", time.Minute); !fresh {
		t.Fatal("another nonce refused")
	}
}
