package redisstore

import (
	"context"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// batchTimeout bounds one pipeline of several callers' scripts (each
// caller still waits no longer than its own context).
const batchTimeout = 5 * time.Second

// maxInflight is how many batches may be in flight at once: two, so that
// a PUT's script does not wait behind the previous delivery's ack (the
// common case of a user agent that acks while the next PUT arrives).
const maxInflight = 2

// batcher runs the scripts of concurrent callers as one pipeline (group
// commit): while maxInflight scripts or batches are in flight, the
// scripts that others start queue up, and go to Redis together once one
// returns. Under load (every PUT and every ack is a script) Redis is then
// woken, and reads and writes its socket, once per batch rather than once
// per script, and so is the client; a caller that finds a free slot pays
// nothing more than a plain EVALSHA.
type batcher struct {
	rdb redis.UniversalClient

	mu       sync.Mutex
	queue    []*batchOp
	inflight int // batches in flight, up to maxInflight
}

type batchOp struct {
	ctx  context.Context
	sc   *redis.Script
	keys []string
	args []any
	cmd  *redis.Cmd
	done chan struct{} // closed once cmd is set
}

// run runs sc as Script.Run does, in a batch with other callers' scripts
// when there are any.
func (b *batcher) run(ctx context.Context, sc *redis.Script, keys []string, args []any) *redis.Cmd {
	op := &batchOp{ctx: ctx, sc: sc, keys: keys, args: args, done: make(chan struct{})}
	b.mu.Lock()
	if b.inflight >= maxInflight {
		b.queue = append(b.queue, op)
		b.mu.Unlock()
		select {
		case <-op.done:
			return op.cmd
		case <-ctx.Done():
			cmd := redis.NewCmd(ctx)
			cmd.SetErr(ctx.Err())
			return cmd
		}
	}
	b.inflight++
	b.mu.Unlock()
	b.send([]*batchOp{op})
	b.next()
	return op.cmd
}

// next hands the slot of a batch that returned to what queued up
// meanwhile, sent from a goroutine of its own so the caller that sent the
// last batch returns at once; with nothing queued the slot is free.
func (b *batcher) next() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.queue) == 0 {
		b.inflight--
		return
	}
	batch := b.queue
	b.queue = nil
	go func() {
		b.send(batch)
		b.next()
	}()
}

// send runs batch: one script alone with its caller's context, several
// as one pipeline of EVALSHA. A script Redis has lost (NOSCRIPT, after a
// restart or SCRIPT FLUSH) runs again through Script.Run, which loads it.
func (b *batcher) send(batch []*batchOp) {
	if len(batch) == 1 {
		op := batch[0]
		op.cmd = op.sc.Run(op.ctx, b.rdb, op.keys, op.args...)
		close(op.done)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	cmds := make([]*redis.Cmd, len(batch))
	_, _ = b.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, op := range batch {
			cmds[i] = op.sc.EvalSha(ctx, p, op.keys, op.args...)
		}
		return nil
	})
	for i, op := range batch {
		cmd := cmds[i]
		if err := cmd.Err(); err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") && op.ctx.Err() == nil {
			cmd = op.sc.Run(op.ctx, b.rdb, op.keys, op.args...)
		}
		op.cmd = cmd
		close(op.done)
	}
}
