package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/appwire/appwire/simplepush"
	"github.com/appwire/appwire/simplepush/redisstore"
)

// simplePushRedisTokenKey is where "appwire serve --redis" keeps the
// endpoint token key, so every node (and every restart) opens every
// endpoint. Whoever can read Redis can read it, as they can read the
// state itself.
const simplePushRedisTokenKey = redisstore.DefaultPrefix + "token-key"

// simplePushRedis returns the options that make the SimplePush server one
// node of those sharing redisURL: the Redis store and bus, a node name
// unique on the network (host and port) and the shared token key. With no
// URL the options are zero (in memory). done releases the bus and client
// once the server has stopped.
func simplePushRedis(ctx context.Context, redisURL string, ln net.Listener) (opts simplepush.Options, done func(), err error) {
	if redisURL == "" {
		return opts, func() {}, nil
	}
	ropts, err := redis.ParseURL(redisURL)
	if err != nil {
		return opts, nil, fmt.Errorf("--redis: %w", err)
	}
	rdb := redis.NewClient(ropts)
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	key, err := sharedTokenKey(ctx, rdb)
	if err != nil {
		rdb.Close()
		return opts, nil, err
	}
	store, err := redisstore.NewStore(rdb, redisstore.Options{})
	if err != nil {
		rdb.Close()
		return opts, nil, err
	}
	bus, err := redisstore.NewBus(rdb, redisstore.BusOptions{})
	if err != nil {
		rdb.Close()
		return opts, nil, err
	}
	host, _ := os.Hostname()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	opts = simplepush.Options{Store: store, Bus: bus, Node: host + ":" + port, TokenKey: key}
	return opts, func() { _ = bus.Close(); _ = rdb.Close() }, nil
}

// sharedTokenKey reads the cluster's token key from Redis, storing a new
// random one if there is none yet (SETNX: the first node wins).
func sharedTokenKey(ctx context.Context, rdb *redis.Client) ([]byte, error) {
	fresh := make([]byte, simplepush.TokenKeySize)
	_, _ = rand.Read(fresh)
	if err := rdb.SetNX(ctx, simplePushRedisTokenKey, hex.EncodeToString(fresh), 0).Err(); err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	h, err := rdb.Get(ctx, simplePushRedisTokenKey).Result()
	if err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	key, err := hex.DecodeString(h)
	if err != nil || len(key) != simplepush.TokenKeySize {
		return nil, fmt.Errorf("redis: %s is not a %d-byte hex key", simplePushRedisTokenKey, simplepush.TokenKeySize)
	}
	return key, nil
}
