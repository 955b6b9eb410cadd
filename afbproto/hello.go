package afbproto

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// NewHelloAPI returns the "hello" demo API, modelled on upstream's hello
// sample, with one verb per feature so a newcomer can try them all.
// Arguments are members of the args object (over HTTP, query or form
// parameters; a "data" string that holds JSON is used as that JSON):
//
//	ping                    success, response "Some String", info "Ping Binder Daemon tag=pingSample count=N query=ARGS"
//	pingfail                fails with status "failed", info "Ping Binder Daemon fails"
//	pingnull                success without response
//	pingjson                success, the args echoed as response
//	async                   replies from another goroutine after the verb returned
//	sleep     ms            replies after ms milliseconds (at most 60000); a way to see "aborted"
//	eventadd  tag, name     creates the event hello/<name> known as tag
//	eventdel  tag           deletes it, unsubscribing everyone (safe, unlike V6-2019)
//	eventsub  tag           subscribes this WebSocket connection ("failed"/"subscription error" over HTTP)
//	eventunsub tag          unsubscribes it
//	eventpush tag, data     pushes data; response {"listeners":n}
//	broadcast name, data    broadcasts hello/<name> (default "bcast") to every WebSocket connection
//	setloa    level         sets the session LOA (flag Check: needs a valid token)
//	session                 {"uuid":..., "loa":n} of the caller's session
//	info                    every API and verb of the binder, with their info lines
//
// Mount a fresh value per Binder.
func NewHelloAPI() API {
	h := &hello{events: make(map[string]*Event)}
	return API{
		Name: "hello",
		Info: "demo of every binder feature",
		Verbs: []Verb{
			{Name: "ping", Info: "success with a count", Handler: h.ping},
			{Name: "pingfail", Info: `fails with status "failed"`, Handler: func(r *Request) {
				r.Fail(StatusFailed, "Ping Binder Daemon fails")
			}},
			{Name: "pingnull", Info: "success, no response", Handler: func(r *Request) { r.Reply(nil, "return NULL") }},
			{Name: "pingjson", Info: "echoes the args", Handler: func(r *Request) { r.Reply(r.Args(), "return json") }},
			{Name: "async", Info: "replies after returning", Handler: func(r *Request) {
				r.Async()
				go r.Reply("async reply", "")
			}},
			{Name: "sleep", Info: "replies after ms milliseconds", Handler: h.sleep},
			{Name: "eventadd", Info: "args tag, name: create hello/<name>", Handler: h.eventadd},
			{Name: "eventdel", Info: "args tag: delete the event", Handler: h.eventdel},
			{Name: "eventsub", Info: "args tag: subscribe", Handler: h.eventsub},
			{Name: "eventunsub", Info: "args tag: unsubscribe", Handler: h.eventunsub},
			{Name: "eventpush", Info: "args tag, data: push", Handler: h.eventpush},
			{Name: "broadcast", Info: "args name, data: broadcast hello/<name>", Handler: h.broadcast},
			{Name: "setloa", Info: "args level: set the LOA", Session: SessionCheck, Handler: h.setloa},
			{Name: "session", Info: "the caller's session", Handler: func(r *Request) {
				r.Reply(map[string]any{"uuid": r.SessionUUID(), "loa": r.LOA()}, "")
			}},
			{Name: "info", Info: "list the APIs and verbs", Handler: h.info},
		},
	}
}

type hello struct {
	pings  atomic.Int64
	mu     sync.Mutex
	events map[string]*Event // tag -> event
}

func (h *hello) ping(r *Request) {
	n := h.pings.Add(1)
	r.Reply("Some String", fmt.Sprintf("Ping Binder Daemon tag=pingSample count=%d query=%s", n, jsoncSpaced(r.Args())))
}

func (h *hello) sleep(r *Request) {
	ms, _ := strconv.Atoi(valueOr(r, "ms", "0"))
	ms = min(max(ms, 0), 60000)
	select {
	case <-time.After(time.Duration(ms) * time.Millisecond):
		r.Reply(map[string]int{"slept": ms}, "")
	case <-r.Context().Done():
	}
}

func (h *hello) event(r *Request) (*Event, bool) {
	tag, ok := r.Value("tag")
	if !ok {
		r.Fail(StatusFailed, "missing tag")
		return nil, false
	}
	h.mu.Lock()
	ev := h.events[tag]
	h.mu.Unlock()
	if ev == nil {
		r.Fail(StatusFailed, "unknown event tag "+strconv.Quote(tag))
		return nil, false
	}
	return ev, true
}

func (h *hello) eventadd(r *Request) {
	tag, ok1 := r.Value("tag")
	name, ok2 := r.Value("name")
	if !ok1 || !ok2 {
		r.Fail(StatusFailed, "args tag and name are needed")
		return
	}
	ev, err := r.Binder().NewEvent(r.API(), name)
	if err != nil {
		r.Fail(StatusFailed, "creation error")
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.events[tag] != nil {
		r.Fail(StatusFailed, "tag already exists")
		return
	}
	h.events[tag] = ev
	r.Reply(nil, "")
}

func (h *hello) eventdel(r *Request) {
	ev, ok := h.event(r)
	if !ok {
		return
	}
	h.mu.Lock()
	for tag, e := range h.events {
		if e == ev {
			delete(h.events, tag)
		}
	}
	h.mu.Unlock()
	ev.Close()
	r.Reply(nil, "")
}

func (h *hello) eventsub(r *Request) {
	if ev, ok := h.event(r); ok {
		if r.Subscribe(ev) != nil {
			r.Fail(StatusFailed, "subscription error")
			return
		}
		r.Reply(nil, "")
	}
}

func (h *hello) eventunsub(r *Request) {
	if ev, ok := h.event(r); ok {
		if r.Unsubscribe(ev) != nil {
			r.Fail(StatusFailed, "unsubscription error")
			return
		}
		r.Reply(nil, "")
	}
}

func (h *hello) eventpush(r *Request) {
	if ev, ok := h.event(r); ok {
		n, err := ev.Push(argJSON(r, "data"))
		if err != nil {
			r.Fail(StatusFailed, "push error")
			return
		}
		r.Reply(map[string]int{"listeners": n}, "")
	}
}

func (h *hello) broadcast(r *Request) {
	name := valueOr(r, "name", "bcast")
	if _, err := r.Binder().Broadcast(r.API(), name, argJSON(r, "data")); err != nil {
		r.Fail(StatusFailed, "broadcast error")
		return
	}
	r.Reply(nil, "")
}

func (h *hello) setloa(r *Request) {
	level, err := strconv.Atoi(valueOr(r, "level", ""))
	if err == nil {
		err = r.SetLOA(level)
	}
	if err != nil {
		r.Fail(StatusFailed, "bad level")
		return
	}
	r.Reply(map[string]int{"loa": level}, "")
}

func (h *hello) info(r *Request) {
	type verb struct {
		Verb    string `json:"verb"`
		Info    string `json:"info,omitempty"`
		Session uint8  `json:"session,omitempty"`
	}
	type api struct {
		API   string `json:"api"`
		Info  string `json:"info,omitempty"`
		Verbs []verb `json:"verbs"`
	}
	var out []api
	for _, a := range r.Binder().APIs() {
		x := api{API: a.Name, Info: a.Info}
		for _, v := range a.Verbs {
			x.Verbs = append(x.Verbs, verb{v.Name, v.Info, uint8(v.Session)})
		}
		out = append(out, x)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].API < out[j].API })
	r.Reply(out, "")
}

func valueOr(r *Request, name, def string) string {
	if v, ok := r.Value(name); ok {
		return v
	}
	return def
}

// argJSON returns the member name of the args as JSON: a string that holds
// valid JSON (what HTTP parameters carry) is that JSON. nil when absent.
func argJSON(r *Request, name string) json.RawMessage {
	var out json.RawMessage
	eachMember(r.Args(), func(key, val []byte) bool {
		if keyIs(key, name) {
			out = val
			if s, ok := jsonString(val); ok && len(val) > 0 && val[0] == '"' && json.Valid([]byte(s)) {
				out = json.RawMessage(s)
			}
		}
		return true
	})
	return out
}

// jsoncSpaced formats a JSON value the way json-c's spaced mode does, as
// upstream's hello/ping info shows: { "x": "1" }, [ 1, 2 ].
func jsoncSpaced(raw []byte) string {
	if !json.Valid(raw) {
		return string(raw)
	}
	var b []byte
	var walk func(v []byte)
	walk = func(v []byte) {
		v = v[skipSpace(v, 0):]
		switch v[0] {
		case '{':
			b = append(b, '{')
			n := 0
			eachMember(v, func(key, val []byte) bool {
				if n > 0 {
					b = append(b, ',')
				}
				b = append(b, ' ')
				b = append(b, key...)
				b = append(b, ':', ' ')
				walk(val)
				n++
				return true
			})
			b = append(b, ' ', '}')
		case '[':
			b = append(b, '[')
			i := skipSpace(v, 1)
			for n := 0; v[i] != ']'; n++ {
				if n > 0 {
					b = append(b, ',')
				}
				b = append(b, ' ')
				e := skipValue(v, i)
				walk(v[i:e])
				i = skipSpace(v, e)
				if v[i] == ',' {
					i = skipSpace(v, i+1)
				}
			}
			b = append(b, ' ', ']')
		default:
			b = append(b, v[:skipValue(v, 0)]...)
		}
	}
	walk(raw)
	return string(b)
}
