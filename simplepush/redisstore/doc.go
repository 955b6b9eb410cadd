// Package redisstore is the Redis backend of package simplepush: Store,
// the durable state that several server nodes share (key layout and
// expiry in store.go), and Bus, which carries a PUT from the node that
// received it to the node holding the user agent's socket over Redis
// pub/sub. It lives apart from simplepush so that importing the codec,
// the server or the client links no Redis client.
//
// Every write is a Lua script, one round trip; an ack with what it leaves
// pending is one script too (AckPending). Scripts that concurrent callers
// start while two are in flight go to Redis together as one pipeline.
//
//	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
//	store, _ := redisstore.NewStore(rdb, redisstore.Options{})
//	bus, _ := redisstore.NewBus(rdb, redisstore.BusOptions{})
//	srv, _ := simplepush.NewServer(simplepush.Options{Store: store, Bus: bus, Node: "node-a"})
package redisstore
