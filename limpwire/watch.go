package limpwire

import (
	"context"
	"sync"
)

// Change is one change of a collection, published by the modules that
// write it (Server.Publish) and delivered to watch tasks.
type Change struct {
	Oper string   // "create", "update" or "delete"
	IDs  []string // the documents changed
	// Docs holds, for a delete, the documents as they were, so that a
	// watch delivers only the deletes its query matches; nil delivers
	// every delete.
	Docs []Doc
}

// watchBuffer bounds the changes waiting for one watch task; a task that
// falls further behind is ended with an error rather than silently
// missing changes.
const watchBuffer = 256

// watchTask is one running watch of a connection.
type watchTask struct{ cancel context.CancelFunc }

type watcher struct {
	ch       chan Change
	overflow chan struct{}
	once     sync.Once
}

// feed fans changes out to the watch tasks of one server process.
type feed struct {
	mu   sync.Mutex
	subs map[string]map[*watcher]struct{}
}

func (f *feed) subscribe(coll string) (*watcher, func()) {
	w := &watcher{ch: make(chan Change, watchBuffer), overflow: make(chan struct{})}
	f.mu.Lock()
	if f.subs[coll] == nil {
		f.subs[coll] = map[*watcher]struct{}{}
	}
	f.subs[coll][w] = struct{}{}
	f.mu.Unlock()
	return w, func() {
		f.mu.Lock()
		delete(f.subs[coll], w)
		f.mu.Unlock()
	}
}

// Publish tells the watch tasks of collection coll on this server about
// a change. It never blocks.
func (s *Server) Publish(coll string, ch Change) {
	s.feed.mu.Lock()
	defer s.feed.mu.Unlock()
	for w := range s.feed.subs[coll] {
		select {
		case w.ch <- ch:
		default:
			w.once.Do(func() { close(w.overflow) })
		}
	}
}

// watched reports whether a watch task follows coll.
func (s *Server) watched(coll string) bool {
	s.feed.mu.Lock()
	defer s.feed.mu.Unlock()
	return len(s.feed.subs[coll]) > 0
}

// Watch returns a channel of the changes of coll until ctx ends, and a
// channel closed when the watcher fell more than 256 changes behind.
func (s *Server) Watch(ctx context.Context, coll string) (<-chan Change, <-chan struct{}) {
	w, cancel := s.feed.subscribe(coll)
	context.AfterFunc(ctx, cancel)
	return w.ch, w.overflow
}

// watch runs a watch method as a task of its own that lasts until the
// connection ends or watch/delete names it.
func (c *conn) watch(r *Request, meth *Method, id string) {
	c.mu.Lock()
	if old := c.watches[id]; old != nil { // a call_id used again
		old.cancel()
		delete(c.watches, id)
	}
	if len(c.watches) >= c.s.opts.MaxTasks {
		c.mu.Unlock()
		if id != "" && id != "__TEST__" {
			c.sendErr(ErrWatchLimit, id)
		}
		return
	}
	ctx, cancel := context.WithCancel(c.watchCtx)
	task := &watchTask{cancel: cancel}
	c.watches[id] = task
	c.mu.Unlock()
	c.watchers.Add(1)
	go func() {
		defer c.watchers.Done()
		defer func() {
			cancel()
			c.mu.Lock()
			if c.watches[id] == task {
				delete(c.watches, id)
			}
			c.mu.Unlock()
		}()
		var once sync.Once
		started := func() {
			once.Do(func() {
				c.send(&Reply{Status: 200, Msg: "Created watch task.", Args: map[string]any{"code": CodeWatchOK, "watch": id, "call_id": id}})
			})
		}
		err := meth.Watch(ctx, r, started, func(res *Result) error {
			started()
			if ctx.Err() != nil {
				return ctx.Err()
			}
			args := make(map[string]any, len(res.Args)+2)
			for k, v := range res.Args {
				args[k] = v
			}
			args["call_id"], args["watch"] = id, id
			c.send(&Reply{Status: 200, Msg: res.Msg, Args: args})
			return nil
		})
		if err != nil && ctx.Err() == nil {
			e := errorOf(err)
			if e == ErrServer {
				c.logf("limpwire: watch %s/%s: %v", r.Module.Name, r.Method, err)
			}
			r := ErrorReply(e, id, true)
			r.Args["watch"] = id
			c.send(r)
		}
	}()
}

// deleteWatch is watch/delete: query [{"watch": <id> | "__all"}].
func (c *conn) deleteWatch(call *Call) {
	id := call.CallID
	v, _ := queryAttr(call.Query)("watch")
	w, _ := v.(string)
	c.mu.Lock()
	var ids []any
	switch task := c.watches[w]; {
	case w == "__all":
		for k, task := range c.watches {
			task.cancel()
			delete(c.watches, k)
			ids = append(ids, k)
		}
	case task != nil:
		task.cancel()
		delete(c.watches, w)
		ids = append(ids, w)
	}
	c.mu.Unlock()
	switch {
	case w == "__all":
		if ids == nil {
			ids = []any{}
		}
		c.send(&Reply{Status: 200, Msg: "All watch tasks deleted.", Args: map[string]any{"watch": ids, "call_id": id}})
	case ids != nil:
		c.send(&Reply{Status: 200, Msg: "Watch task deleted.", Args: map[string]any{"watch": ids, "call_id": id}})
	default:
		c.sendErr(ErrInvalidWatch, id)
	}
}
